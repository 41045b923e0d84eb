using System.Globalization;
using System.Text;
using System.Text.Json;
using OrleansHub.Grains.Analysis;
using Spectre.Console;

namespace OrleansHub.Client.Analyze;

/// <summary>Everything the writers need.</summary>
internal sealed record AnalysisOutput(
    int Count,
    int K,
    int HubSize,
    IReadOnlyList<MethodResult> Results,
    bool IncludeNeighbours,
    bool HasLabels,
    Method? RecallAgainst,
    TimeSpan Elapsed);

/// <summary>JSON and table renderings of an analysis.</summary>
internal static class AnalysisWriter
{
    /// <summary>
    /// <c>{"n", "k", "hubSize", "methods": {"&lt;method&gt;": {"hubs", "antihubs", "maxOccurrence",
    /// "skewness", "robinHood", "gini", "occurrence", "neighbours"?, "retrievalAccuracy"?,
    /// "knnAccuracy"?, "recall"?}}}</c> on one line.
    /// </summary>
    public static void WriteJson(AnalysisOutput output, TextWriter writer)
    {
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream))
        {
            json.WriteStartObject();
            json.WriteNumber("n", output.Count);
            json.WriteNumber("k", output.K);
            json.WriteNumber("hubSize", output.HubSize);
            json.WriteStartObject("methods");
            foreach (var result in output.Results)
            {
                var r = result.Report;
                json.WriteStartObject(MutualProximity.Name(result.Method));
                json.WriteNumber("hubs", r.Hubs);
                json.WriteNumber("antihubs", r.Antihubs);
                json.WriteNumber("maxOccurrence", r.MaxOccurrence);
                json.WriteNumber("skewness", r.Skewness);
                json.WriteNumber("robinHood", r.RobinHood);
                json.WriteNumber("gini", r.Gini);
                json.WriteStartArray("occurrence");
                foreach (var o in r.Occurrence)
                {
                    json.WriteNumberValue(o);
                }

                json.WriteEndArray();
                if (output.IncludeNeighbours)
                {
                    json.WriteStartArray("neighbours");
                    for (var x = 0; x < result.Lists.Count; x++)
                    {
                        json.WriteStartArray();
                        foreach (var t in result.Lists[x])
                        {
                            json.WriteNumberValue(t);
                        }

                        json.WriteEndArray();
                    }

                    json.WriteEndArray();
                }

                if (result.RetrievalAccuracy is { } retrieval)
                {
                    json.WriteNumber("retrievalAccuracy", retrieval);
                }

                if (result.KnnAccuracy is { } knn)
                {
                    json.WriteNumber("knnAccuracy", knn);
                }

                if (result.Recall is { } recall)
                {
                    json.WriteNumber("recall", recall);
                }

                json.WriteEndObject();
            }

            json.WriteEndObject();
            json.WriteEndObject();
        }

        writer.WriteLine(Encoding.UTF8.GetString(stream.ToArray()));
    }

    /// <summary>The methods side by side, one measure per row.</summary>
    public static void WriteTable(AnalysisOutput output, TextWriter writer)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Out = new AnsiConsoleOutput(writer),
            Interactive = InteractionSupport.No,
        });
        console.Profile.Width = 160;

        var table = new Table().Border(TableBorder.Rounded);
        table.Title = new TableTitle($"Hubness of {output.Count} songs, k = {output.K}, hub: O^k >= {output.HubSize * output.K}");
        table.AddColumn("measure");
        foreach (var result in output.Results)
        {
            table.AddColumn(new TableColumn(MutualProximity.Name(result.Method)).RightAligned());
        }

        void Row(string name, Func<MethodResult, string> cell) =>
            table.AddRow([name, .. output.Results.Select(cell)]);

        var c = CultureInfo.InvariantCulture;
        Row("anti-hubs (O^k = 0)", m => $"{m.Report.Antihubs} ({m.Report.AntihubShare.ToString("P1", c)})");
        Row($"hubs (O^k >= {output.HubSize * output.K})", m => $"{m.Report.Hubs} ({m.Report.HubShare.ToString("P1", c)})");
        Row("max O^k", m => m.Report.MaxOccurrence.ToString(c));
        Row("skewness S^k", m => m.Report.Skewness.ToString("F3", c));
        Row("Robin Hood", m => m.Report.RobinHood.ToString("F3", c));
        Row("Gini", m => m.Report.Gini.ToString("F3", c));
        if (output.HasLabels)
        {
            Row("R^k (genre Jaccard)", m => m.RetrievalAccuracy?.ToString("P1", c) ?? "-");
            Row("k-NN genre accuracy", m => m.KnnAccuracy?.ToString("P1", c) ?? "-");
        }

        if (output.RecallAgainst is { } reference)
        {
            Row($"recall vs {MutualProximity.Name(reference)}", m => m.Recall?.ToString("F4", c) ?? "-");
        }

        Row("time", m => $"{m.Elapsed.TotalSeconds.ToString("F1", c)} s");
        console.Write(table);
        writer.WriteLine($"total {output.Elapsed.TotalSeconds.ToString("F1", c)} s");
    }
}
