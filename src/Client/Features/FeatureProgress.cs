using System.Globalization;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace OrleansHub.Client.Features;

/// <summary>Plain progress for logs and CI: a line per failure and a status line every few seconds.</summary>
internal sealed class PlainFeatureProgress(TextWriter log, TimeSpan interval) : IFeatureProgress
{
    private TimeSpan _lastReport = TimeSpan.Zero;

    /// <inheritdoc />
    public void Completed(FeatureOutcome outcome, int done, int total, TimeSpan elapsed)
    {
        if (outcome.Error is not null)
        {
            log.WriteLine($"failed: {outcome.Input.Path}: {outcome.Error}");
        }

        foreach (var warning in outcome.Warnings)
        {
            log.WriteLine($"warning: {outcome.Input.Path}: {warning}");
        }

        if (done == total || elapsed - _lastReport >= interval)
        {
            _lastReport = elapsed;
            var rate = done / Math.Max(elapsed.TotalSeconds, 1e-9);
            var eta = rate > 0 ? TimeSpan.FromSeconds((total - done) / rate) : TimeSpan.Zero;
            log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"features: {done}/{total} ({100.0 * done / total:0.0} %), {rate:0.00} songs/s, elapsed {elapsed:hh\\:mm\\:ss}, ETA {eta:hh\\:mm\\:ss}"));
        }
    }
}

/// <summary>Spectre.Console progress bar (terminal only); problems are listed after the bar ends.</summary>
internal sealed class SpectreFeatureProgress(ProgressTask task) : IFeatureProgress
{
    /// <inheritdoc />
    public void Completed(FeatureOutcome outcome, int done, int total, TimeSpan elapsed)
    {
        task.Value = done;
        task.Description = outcome.Error is null ? "features" : "features [red](failures)[/]";
    }
}

/// <summary>Progress column showing songs per second.</summary>
internal sealed class SongsPerSecondColumn : ProgressColumn
{
    /// <inheritdoc />
    public override IRenderable Render(RenderOptions options, ProgressTask task, TimeSpan deltaTime)
    {
        var elapsed = task.ElapsedTime?.TotalSeconds ?? 0;
        var rate = elapsed > 0 ? task.Value / elapsed : 0;
        return new Text(string.Create(CultureInfo.InvariantCulture, $"{rate:0.00} songs/s"));
    }
}
