using System.CommandLine;
using OrleansHub.Client.Analyze;
using OrleansHub.Grains.Analysis;

namespace OrleansHub.Client.Commands;

/// <summary><c>orleanshub analyze</c>: hubness report of a distance matrix or a features file.</summary>
internal static class AnalyzeCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var distances = new Option<FileInfo?>("--distances") { Description = "Square distance matrix: .npy (float64/float32, C order) or .csv." };
        var features = new Option<FileInfo?>("--features") { Description = "Features JSONL (one song per line); SKL is computed with the fast kernel." };
        var k = new Option<int>("--k") { Description = "Neighbours per list.", DefaultValueFactory = _ => 5 };
        var hubSize = new Option<int>("--hub-size") { Description = "Hub factor h: a hub has O^k >= h*k.", DefaultValueFactory = _ => 5 };
        var methods = new Option<string?>("--methods")
        {
            Description = "Comma list of none, mp-empiric, mp-independent, mp-quantile, mp-normal, mp-sampled. Default: none,mp-empiric up to 20,000 songs, none,mp-quantile above.",
        };
        var quantiles = new Option<int>("--quantiles") { Description = "Knots per quantile sketch (mp-quantile).", DefaultValueFactory = _ => 64 };
        var samples = new Option<int>("--samples") { Description = "Sample size s (mp-sampled).", DefaultValueFactory = _ => 1000 };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the mp-sampled sample.", DefaultValueFactory = _ => 42UL };
        var labels = new Option<FileInfo?>("--labels") { Description = "CSV 'id,labels' with ';' between labels (ids: JSONL ids, CSV header names or 0-based row numbers)." };
        var neighbours = new Option<bool>("--neighbours") { Description = "Include the k-NN lists (row indices) in the JSON output." };
        var format = new Option<OutputFormat>("--format") { Description = "table or json.", DefaultValueFactory = _ => OutputFormat.Table };
        var recall = new Option<string?>("--recall-against") { Description = "Report each method's tie-tolerant recall against this exact method (e.g. mp-empiric)." };
        var threads = new Option<int>("--threads") { Description = "Worker threads (-1: all cores). Results do not depend on it.", DefaultValueFactory = _ => -1 };

        var command = new Command("analyze", "Hubness report (O^k, hubs, anti-hubs, S^k, Robin Hood, Gini, genre measures) without and with Mutual Proximity.")
        {
            distances, features, k, hubSize, methods, quantiles, samples, seed, labels, neighbours, format, recall, threads,
        };

        Require(k, v => v > 0, "--k must be positive.");
        Require(hubSize, v => v > 0, "--hub-size must be positive.");
        Require(quantiles, v => v >= 2, "--quantiles must be at least 2.");
        Require(samples, v => v > 0, "--samples must be positive.");
        Require(threads, v => v == -1 || v > 0, "--threads must be -1 or positive.");
        command.Validators.Add(result =>
        {
            var hasDistances = result.GetValue(distances) is not null;
            var hasFeatures = result.GetValue(features) is not null;
            if (hasDistances == hasFeatures)
            {
                result.AddError("Give exactly one of --distances FILE or --features FILE.");
            }

            if (result.GetValue(methods) is { } list && !TryParseMethods(list, out _, out var bad))
            {
                result.AddError($"Unknown method '{bad}' in --methods (expected none, mp-empiric, mp-independent, mp-quantile, mp-normal, mp-sampled).");
            }

            if (result.GetValue(recall) is { } reference && (!MutualProximity.TryParse(reference, out var m) || m is Method.MpQuantile or Method.MpSampled or Method.MpNormal))
            {
                result.AddError($"--recall-against must be an exact method (none, mp-empiric, mp-independent), got '{reference}'.");
            }
        });

        command.SetAction(parse =>
        {
            IReadOnlyList<Method>? chosen = null;
            if (parse.GetValue(methods) is { } list && TryParseMethods(list, out var parsed, out _))
            {
                chosen = parsed;
            }

            Method? reference = null;
            if (parse.GetValue(recall) is { } r && MutualProximity.TryParse(r, out var rm))
            {
                reference = rm;
            }

            var settings = new AnalyzeSettings(
                parse.GetValue(distances)?.FullName,
                parse.GetValue(features)?.FullName,
                parse.GetValue(k),
                parse.GetValue(hubSize),
                chosen,
                parse.GetValue(quantiles),
                parse.GetValue(samples),
                parse.GetValue(seed),
                parse.GetValue(labels)?.FullName,
                parse.GetValue(neighbours),
                parse.GetValue(format),
                reference,
                parse.GetValue(threads));
            return AnalyzeRunner.Run(settings, output, error);
        });
        return command;
    }

    private static void Require<T>(Option<T> option, Func<T, bool> valid, string message) =>
        option.Validators.Add(result =>
        {
            if (!valid(result.GetValueOrDefault<T>()))
            {
                result.AddError(message);
            }
        });

    internal static bool TryParseMethods(string list, out IReadOnlyList<Method> methods, out string? bad)
    {
        var result = new List<Method>();
        bad = null;
        foreach (var name in list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!MutualProximity.TryParse(name, out var method))
            {
                bad = name;
                methods = [];
                return false;
            }

            if (!result.Contains(method))
            {
                result.Add(method);
            }
        }

        if (result.Count == 0)
        {
            bad = list;
            methods = [];
            return false;
        }

        methods = result;
        return true;
    }
}
