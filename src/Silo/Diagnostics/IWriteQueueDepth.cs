namespace OrleansHub.Silo.Diagnostics;

/// <summary>
/// A writer that can tell how many write requests wait in its queue. When the catalogue service
/// implements it, <see cref="SiloMetrics"/> reports the depth as <c>orleanshub.catalogue.write_queue.depth</c>.
/// </summary>
public interface IWriteQueueDepth
{
    /// <summary>Write requests accepted and not yet taken by the writer.</summary>
    int QueueDepth { get; }
}
