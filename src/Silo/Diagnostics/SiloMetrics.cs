using System.Diagnostics.Metrics;
using OrleansHub.Grains.Engine;
using OrleansHub.Silo.Hosting;

namespace OrleansHub.Silo.Diagnostics;

/// <summary>
/// The silo's instruments on the meter <c>OrleansHub.Silo</c>: songs ingested, insert latency,
/// catalogue size, hub counts per metric and webhook deliveries.
/// </summary>
public sealed class SiloMetrics
{
    /// <summary>Name of the meter.</summary>
    public const string MeterName = "OrleansHub.Silo";

    private readonly CatalogueService _catalogue;
    private readonly Counter<long> _songsIngested;
    private readonly Histogram<double> _insertDuration;
    private readonly Counter<long> _webhookDeliveries;
    private readonly Counter<long> _webhookFailures;
    private readonly Counter<long> _webhookDeadLetters;

    /// <summary>Creates the instruments on a meter of <paramref name="meterFactory"/>.</summary>
    public SiloMetrics(IMeterFactory meterFactory, CatalogueService catalogue)
    {
        ArgumentNullException.ThrowIfNull(meterFactory);
        _catalogue = catalogue ?? throw new ArgumentNullException(nameof(catalogue));
        Meter = meterFactory.Create(MeterName);
        _songsIngested = Meter.CreateCounter<long>("orleanshub.songs.ingested", "{song}", "Songs added to the catalogue through the API.");
        _insertDuration = Meter.CreateHistogram<double>("orleanshub.songs.insert.duration", "ms", "Time to answer an insert request (one song or a batch), durable write included.");
        _webhookDeliveries = Meter.CreateCounter<long>("orleanshub.webhooks.deliveries", "{delivery}", "Alerts delivered to webhooks (2xx answer).");
        _webhookFailures = Meter.CreateCounter<long>("orleanshub.webhooks.failures", "{attempt}", "Failed webhook delivery attempts.");
        _webhookDeadLetters = Meter.CreateCounter<long>("orleanshub.webhooks.dead_letters", "{alert}", "Alerts put on a webhook's dead-letter list after the last attempt.");
        Meter.CreateObservableGauge("orleanshub.catalogue.size", ObserveSize, "{song}", "Songs in the catalogue.");
        Meter.CreateObservableGauge("orleanshub.catalogue.hubs", ObserveHubs, "{song}", "Hubs (O^k at least h·k) per metric.");
        Meter.CreateObservableGauge("orleanshub.catalogue.write_queue.depth", ObserveQueueDepth, "{request}", "Write requests waiting for the single writer.");
    }

    /// <summary>The meter holding the instruments.</summary>
    public Meter Meter { get; }

    /// <summary>Records an insert request: its duration, its route kind and status, and the songs it added.</summary>
    public void RecordInsert(string route, int statusCode, double elapsedMilliseconds, int songsAdded)
    {
        var routeTag = new KeyValuePair<string, object?>("route", route);
        _insertDuration.Record(elapsedMilliseconds, routeTag, new KeyValuePair<string, object?>("status", statusCode));
        if (songsAdded > 0)
        {
            _songsIngested.Add(songsAdded, routeTag);
        }
    }

    /// <summary>Records an alert delivered to a webhook (after its cursor moved past it).</summary>
    public void RecordWebhookDelivered(long webhookId) =>
        _webhookDeliveries.Add(1, new KeyValuePair<string, object?>("webhook", webhookId));

    /// <summary>Records a failed webhook delivery attempt.</summary>
    public void RecordWebhookFailed(long webhookId) =>
        _webhookFailures.Add(1, new KeyValuePair<string, object?>("webhook", webhookId));

    /// <summary>Records an alert put on a webhook's dead-letter list (after it was stored).</summary>
    public void RecordWebhookDeadLettered(long webhookId) =>
        _webhookDeadLetters.Add(1, new KeyValuePair<string, object?>("webhook", webhookId));

    private IEnumerable<Measurement<long>> ObserveSize()
    {
        if (_catalogue.IsReady)
        {
            yield return new Measurement<long>(_catalogue.Read(e => e.Count));
        }
    }

    private IEnumerable<Measurement<int>> ObserveQueueDepth()
    {
        yield return new Measurement<int>(_catalogue.QueueDepth);
    }

    private IEnumerable<Measurement<long>> ObserveHubs()
    {
        if (!_catalogue.IsReady)
        {
            yield break;
        }

        foreach (var metric in (Metric[])[Metric.Skl, Metric.Mp])
        {
            var hubs = _catalogue.Read(e => e.Measures(metric).Hubs);
            yield return new Measurement<long>(hubs, new KeyValuePair<string, object?>("metric", metric == Metric.Skl ? "skl" : "mp"));
        }
    }
}
