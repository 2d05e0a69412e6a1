package io.gnsweep.runtime;

import java.lang.ref.ReferenceQueue;
import java.lang.reflect.Field;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import org.nd4j.linalg.api.memory.Deallocatable;
import org.nd4j.linalg.api.memory.deallocation.DeallocatableReference;
import org.nd4j.linalg.api.memory.deallocation.DeallocatorService;
import org.nd4j.linalg.factory.Nd4j;

/**
 * ND4J's deallocator service with a cheap choice of queue.
 *
 * <p>ND4J 1.0.0-M2.1 registers every new buffer (each array, view and shape buffer: ~160 per ResNet-20 step at
 * batch 2) with its {@link DeallocatorService}, which picks one of its reference queues with commons-lang3's
 * {@code RandomUtils.nextInt}. From commons-lang3 3.15 on (3.19 here, with Spark 4.1) that call makes a new
 * {@code SecureRandom} each time: a provider lookup by reflection and ~1 KB of garbage per buffer, a sixth of what a
 * batch-2 training step allocated on the heap. This service is ND4J's, built by ND4J's own constructor (its queues,
 * deallocator threads and reference map), with only that choice replaced by {@link ThreadLocalRandom}; what it
 * registers is released exactly as before. {@link NativeSetup#init} installs it.
 */
final class DeallocatorQueues extends DeallocatorService {
    private final Map<String, DeallocatableReference> references;
    private final List<List<ReferenceQueue<Deallocatable>>> queuesByDevice;
    private final boolean off;

    @SuppressWarnings("unchecked")
    private DeallocatorQueues() throws ReflectiveOperationException {
        super();
        references = (Map<String, DeallocatableReference>) field("referenceMap").get(this);
        queuesByDevice = (List<List<ReferenceQueue<Deallocatable>>>) field("deviceMap").get(this);
        off = (Boolean) field("noPointerGc").get(this);
    }

    private static Field field(String name) throws NoSuchFieldException {
        Field f = DeallocatorService.class.getDeclaredField(name);
        f.setAccessible(true);
        return f;
    }

    /** Registers the object for release once it is unreachable, as ND4J's service does (nothing with its GC off). */
    @Override
    public void pickObject(Deallocatable deallocatable) {
        if (deallocatable == null) {
            throw new NullPointerException("deallocatable is marked non-null but is null");
        }
        if (off) {
            return;
        }
        List<ReferenceQueue<Deallocatable>> queues = queuesByDevice.get(deallocatable.targetDevice());
        int n = queues.size();
        ReferenceQueue<Deallocatable> queue = queues.get(n == 1 ? 0 : ThreadLocalRandom.current().nextInt(n));
        references.put(deallocatable.getUniqueId(), new DeallocatableReference(deallocatable, queue));
    }

    /** Objects registered and not yet released. */
    int tracked() {
        return references.size();
    }

    /**
     * Makes this ND4J's service (Nd4j's own lazily made one, if any, keeps releasing what it registered). false,
     * and ND4J's service unchanged, where ND4J's classes differ from 1.0.0-M2.1's.
     */
    static boolean install() {
        synchronized (Nd4j.class) { // Nd4j.getDeallocatorService's lock
            try {
                Field f = Nd4j.class.getDeclaredField("deallocatorService");
                f.setAccessible(true);
                if (!(f.get(null) instanceof DeallocatorQueues)) {
                    f.set(null, new DeallocatorQueues());
                }
                return true;
            } catch (ReflectiveOperationException | RuntimeException e) {
                return false;
            }
        }
    }
}
