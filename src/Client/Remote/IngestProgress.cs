using System.Globalization;
using Spectre.Console;

namespace OrleansHub.Client.Remote;

/// <summary>Plain progress for logs and pipes: a status line every few seconds and at the end.</summary>
internal sealed class PlainIngestProgress(TextWriter log, TimeSpan interval) : IIngestProgress
{
    private TimeSpan _lastReport = TimeSpan.Zero;

    /// <inheritdoc />
    public void Report(IngestSummary totals, int total, TimeSpan elapsed)
    {
        var done = totals.Inserted + totals.Skipped + totals.Failed;
        if (done != total && elapsed - _lastReport < interval)
        {
            return;
        }

        _lastReport = elapsed;
        var rate = done / Math.Max(elapsed.TotalSeconds, 1e-9);
        log.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"ingest: {done}/{total} ({100.0 * done / Math.Max(total, 1):0.0} %), inserted {totals.Inserted}, skipped {totals.Skipped}, failed {totals.Failed}, {rate:0.0} songs/s, elapsed {elapsed:hh\\:mm\\:ss}"));
    }
}

/// <summary>Spectre.Console progress bar (terminal only).</summary>
internal sealed class SpectreIngestProgress(ProgressTask task) : IIngestProgress
{
    /// <inheritdoc />
    public void Report(IngestSummary totals, int total, TimeSpan elapsed)
    {
        task.Value = totals.Inserted + totals.Skipped + totals.Failed;
        task.Description = totals.Failed == 0 ? "ingest" : "ingest [red](failures)[/]";
    }
}
