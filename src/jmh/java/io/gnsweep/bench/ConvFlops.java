package io.gnsweep.bench;

import io.gnsweep.model.Model;

/** The convolutions' forward FLOPs per image of gnsweep's models, for GFLOP/s figures. */
final class ConvFlops {
    private ConvFlops() {}

    /** Forward conv FLOPs per image: 2*K*K*Cin*Cout*H*W for each 3x3 'same' conv; 2x2 pools halve H, W. */
    static double convFlops(Model m, double width, int channels, int size) {
        if (m.isResidual()) {
            return resnetConvFlops(Model.DEFAULT_DEPTH, width, channels, size);
        }
        double flops = 0;
        int cin = channels;
        int h = size;
        for (int[] block : m.blocks(width)) {
            for (int cout : block) {
                flops += 2.0 * 9 * cin * cout * h * h;
                cin = cout;
            }
            h /= 2;
        }
        return flops;
    }

    /** Forward multiply-adds x2 of a CIFAR ResNet's convolutions (3x3 stem, blocks, 1x1 projections). */
    static double resnetConvFlops(int depth, double width, int channels, int size) {
        int n = io.gnsweep.model.ResNet.blocksPerStage(depth);
        int cin = io.gnsweep.model.ResNet.stageChannels(1, width);
        double flops = 2.0 * 9 * channels * cin * size * size;
        int h = size;
        for (int s = 1; s <= 3; s++) {
            int c = io.gnsweep.model.ResNet.stageChannels(s, width);
            for (int b = 1; b <= n; b++) {
                boolean down = s > 1 && b == 1;
                int ho = down ? h / 2 : h;
                flops += 2.0 * 9 * cin * c * ho * ho + 2.0 * 9 * c * c * ho * ho;
                if (down || cin != c) {
                    flops += 2.0 * cin * c * ho * ho;
                }
                cin = c;
                h = ho;
            }
        }
        return flops;
    }
}
