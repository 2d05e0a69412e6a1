import io.gnsweep.runtime.GpuCheck;

/** Prints io.gnsweep.runtime.GpuCheck.problem(address) (default "0"); for the device check in run.sh. */
public final class GpuCheckDriver {
    public static void main(String[] args) {
        String address = args.length > 0 ? args[0] : "0";
        System.out.println("GpuCheck.problem(\"" + address + "\") = " + GpuCheck.problem(address));
    }
}
