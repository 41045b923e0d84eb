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

    /// <summary>Ingestion rate limit per API key: bucket size (burst) of a token bucket, one token per song request.</summary>
    [Range(1, 1_000_000)]
    public int IngestTokenLimit { get; set; } = 1000;

    /// <summary>Ingestion rate limit per API key: tokens added every <see cref="IngestReplenishmentPeriod"/>.</summary>
    [Range(1, 1_000_000)]
    public int IngestTokensPerPeriod { get; set; } = 1000;

    /// <summary>Ingestion rate limit per API key: replenishment period of the token bucket.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "1.00:00:00")]
    public TimeSpan IngestReplenishmentPeriod { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Time after which an API request (other than the alert stream) is cancelled and answered 504.</summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "1.00:00:00")]
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Metrics export over OTLP (<c>OrleansHub:Otlp:Endpoint</c>).</summary>
    public OtlpOptions Otlp { get; set; } = new();

    /// <summary>Webhook delivery (<c>OrleansHub:Webhooks:*</c>).</summary>
    public WebhookOptions Webhooks { get; set; } = new();
}

/// <summary>Metrics export over OTLP.</summary>
public sealed class OtlpOptions
{
    /// <summary>OTLP endpoint of the metrics exporter (for example <c>http://127.0.0.1:4317</c>, or the full <c>…/v1/metrics</c> URL with http/protobuf); no export when empty.</summary>
    public Uri? Endpoint { get; set; }

    /// <summary>OTLP transport: <c>Grpc</c> (default) or <c>HttpProtobuf</c>.</summary>
    public OpenTelemetry.Exporter.OtlpExportProtocol Protocol { get; set; } = OpenTelemetry.Exporter.OtlpExportProtocol.Grpc;

    /// <summary>Interval between two exports.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "01:00:00")]
    public TimeSpan ExportInterval { get; set; } = TimeSpan.FromSeconds(15);
}

/// <summary>Webhook delivery: retries with exponential back-off, then the dead-letter list.</summary>
public sealed class WebhookOptions
{
    /// <summary>Delivery attempts per alert before it goes to the dead-letter list.</summary>
    [Range(1, 20)]
    public int MaxAttempts { get; set; } = 5;

    /// <summary>Delay before the second attempt; each further attempt waits twice as long (capped by <see cref="MaxDelay"/>).</summary>
    [Range(typeof(TimeSpan), "00:00:00", "01:00:00")]
    public TimeSpan BaseDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Longest delay between two attempts.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "1.00:00:00")]
    public TimeSpan MaxDelay { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Timeout of one delivery request.</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:10:00")]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The dispatcher looks for new alerts at least this often (it also wakes when alerts are stored).</summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "01:00:00")]
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(5);
}
