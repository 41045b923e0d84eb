using System.ComponentModel.DataAnnotations;

namespace OrleansHub.Silo.Options;

/// <summary>Settings of the silo, bound from the <c>OrleansHub</c> configuration section and validated on start.</summary>
public sealed class OrleansHubOptions
{
    /// <summary>Configuration section name.</summary>
    public const string Section = "OrleansHub";

    /// <summary>Folder of the SQLite database (event log, snapshots, keys).</summary>
    [Required]
    public string DataDirectory { get; set; } = "./data";

    /// <summary>A key to accept in addition to the stored ones (for example from a secret store).</summary>
    public string? ApiKey { get; set; }

    /// <summary>When true, reads need an API key too.</summary>
    public bool RequireKeyForReads { get; set; }

    /// <summary>A snapshot is written after this many events.</summary>
    [Range(1, 10_000_000)]
    public int SnapshotEvery { get; set; } = 5_000;

    /// <summary>Largest request body accepted, in bytes.</summary>
    [Range(1024, 1L << 32)]
    public long MaxBodyBytes { get; set; } = 64L << 20;

    /// <summary>Neighbours per list (k) of the engine.</summary>
    [Range(1, 100)]
    public int K { get; set; } = 5;

    /// <summary>Hub factor h (hub: O^k ≥ h·k).</summary>
    [Range(1, 1000)]
    public int HubSize { get; set; } = 5;
}
