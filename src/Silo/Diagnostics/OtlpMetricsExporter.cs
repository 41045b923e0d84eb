using Microsoft.Extensions.Options;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OrleansHub.Silo.Options;

namespace OrleansHub.Silo.Diagnostics;

/// <summary>
/// Exports the <see cref="SiloMetrics.MeterName"/> meter over OTLP while the silo runs, when
/// <c>OrleansHub:Otlp:Endpoint</c> is set; does nothing otherwise. (The OpenTelemetry hosting
/// package is not available from the package source, so the meter provider is built and disposed here.)
/// </summary>
public sealed partial class OtlpMetricsExporter(IOptions<OrleansHubOptions> options, ILogger<OtlpMetricsExporter> logger) : IHostedService, IDisposable
{
    private MeterProvider? _provider;

    /// <summary>True while metrics are being exported.</summary>
    public bool IsExporting => _provider is not null;

    /// <inheritdoc />
    public Task StartAsync(CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        var otlp = options.Value.Otlp;
        var endpoint = otlp.Endpoint;
        if (endpoint is null)
        {
            return Task.CompletedTask;
        }

        _provider = Sdk.CreateMeterProviderBuilder()
            .AddMeter(SiloMetrics.MeterName)
            .AddOtlpExporter((exporter, reader) =>
            {
                exporter.Endpoint = endpoint;
                exporter.Protocol = otlp.Protocol;
                reader.PeriodicExportingMetricReaderOptions.ExportIntervalMilliseconds = (int)otlp.ExportInterval.TotalMilliseconds;
            })
            .Build();
        LogInformationExporting(endpoint);
        return Task.CompletedTask;
    }

    /// <summary>Stops exporting, after a last export of the current values.</summary>
    public Task StopAsync(CancellationToken cancellationToken)
    {
        Dispose();
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Interlocked.Exchange(ref _provider, null)?.Dispose();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Exporting metrics of the OrleansHub.Silo meter over OTLP to {Endpoint}.")]
    private partial void LogInformationExporting(Uri endpoint);
}
