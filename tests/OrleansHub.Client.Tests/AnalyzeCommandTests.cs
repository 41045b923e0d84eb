using System.Globalization;
using System.Text.Json;
using FluentAssertions;

namespace OrleansHub.Client.Tests;

public sealed class AnalyzeCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("orleanshub-analyze-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData(60, 5, 1)]
    [InlineData(101, 3, 2)]
    [InlineData(40, 10, 3)]
    public async Task Analyze_NpyMatrix_JsonMatchesIndependentComputation(int n, int k, int seed)
    {
        var d = RandomMatrix(n, seed, ties: seed == 2);
        var path = Path.Combine(_dir, "d.npy");
        NpyWriter.Write(path, d);

        var (code, stdout, stderr) = await Run("analyze", "--distances", path, "--methods", "none,mp-empiric,mp-independent,mp-normal", "--format", "json", "--k", $"{k}", "--neighbours");
        code.Should().Be(0, stderr);
        using var json = JsonDocument.Parse(stdout);
        var root = json.RootElement;
        root.GetProperty("n").GetInt32().Should().Be(n);
        root.GetProperty("k").GetInt32().Should().Be(k);
        root.GetProperty("hubSize").GetInt32().Should().Be(5);
        var methods = root.GetProperty("methods");
        methods.EnumerateObject().Select(p => p.Name).Should().Equal("none", "mp-empiric", "mp-independent", "mp-normal");

        var moments = Enumerable.Range(0, n).Select(x =>
        {
            var others = Enumerable.Range(0, n).Where(j => j != x).Select(j => d[x, j]).ToArray();
            var mu = others.Sum() / others.Length;
            return (Mean: mu, Sd: Math.Sqrt(others.Sum(v => (v - mu) * (v - mu)) / others.Length));
        }).ToArray();
        double Sf(double v, (double Mean, double Sd) m) => 0.5 * MathNet.Numerics.SpecialFunctions.Erfc((v - m.Mean) / (m.Sd * Math.Sqrt(2)));

        foreach (var (name, score) in new (string, Func<int, int, double>)[]
        {
            ("mp-normal", (x, t) => Sf(d[x, t], moments[x]) * Sf(d[t, x], moments[t])),
            ("none", (x, t) => -d[x, t]),
            ("mp-empiric", (x, t) => Enumerable.Range(0, n).Count(j => j != x && j != t && d[x, j] > d[x, t] && d[t, j] > d[t, x])),
            ("mp-independent", (x, t) => Enumerable.Range(0, n).Count(j => j != x && d[x, j] > d[x, t]) * (double)Enumerable.Range(0, n).Count(j => j != t && d[t, j] > d[t, x])),
        })
        {
            var m = methods.GetProperty(name);
            var lists = Enumerable.Range(0, n)
                .Select(x => Enumerable.Range(0, n).Where(t => t != x)
                    .OrderByDescending(t => score(x, t)).ThenBy(t => d[x, t]).ThenBy(t => t).Take(k).ToArray())
                .ToArray();
            var o = new int[n];
            foreach (var list in lists)
            {
                foreach (var t in list)
                {
                    o[t]++;
                }
            }

            m.GetProperty("neighbours").EnumerateArray().Select(r => r.EnumerateArray().Select(v => v.GetInt32()).ToArray())
                .Should().BeEquivalentTo(lists, options => options.WithStrictOrdering(), name);
            m.GetProperty("occurrence").EnumerateArray().Select(v => v.GetInt32()).Should().Equal(o);
            m.GetProperty("hubs").GetInt32().Should().Be(o.Count(v => v >= 5 * k));
            m.GetProperty("antihubs").GetInt32().Should().Be(o.Count(v => v == 0));
            m.GetProperty("maxOccurrence").GetInt32().Should().Be(o.Max());

            var mean = o.Average();
            var m2 = o.Select(v => (v - mean) * (v - mean)).Average();
            var m3 = o.Select(v => (v - mean) * (v - mean) * (v - mean)).Average();
            m.GetProperty("skewness").GetDouble().Should().BeApproximately(m3 / Math.Pow(m2, 1.5), 1e-9);
            m.GetProperty("robinHood").GetDouble().Should().BeApproximately(0.5 * o.Sum(v => Math.Abs(v - k)) / o.Sum(), 1e-9);
            double pairs = 0;
            foreach (var a in o)
            {
                foreach (var b in o)
                {
                    pairs += Math.Abs(a - b);
                }
            }

            m.GetProperty("gini").GetDouble().Should().BeApproximately(pairs / (2.0 * n * n * k), 1e-9);
            m.TryGetProperty("retrievalAccuracy", out _).Should().BeFalse("no labels were given");
        }
    }

    [Fact]
    public async Task Analyze_LabelsCsv_AddsGenreMeasures()
    {
        var d = RandomMatrix(30, 4, ties: false);
        var path = Path.Combine(_dir, "d.csv");
        await File.WriteAllLinesAsync(path, Enumerable.Range(0, 30).Select(r => string.Join(',', Enumerable.Range(0, 30).Select(c => d[r, c].ToString("R", CultureInfo.InvariantCulture)))));
        var labels = Path.Combine(_dir, "labels.csv");
        await File.WriteAllLinesAsync(labels, ["id,labels", .. Enumerable.Range(0, 30).Select(i => $"{i},{(i % 2 == 0 ? "even" : "odd")};{(i % 3 == 0 ? "three" : "other")}")]);

        var (code, stdout, stderr) = await Run("analyze", "--distances", path, "--labels", labels, "--format", "json");
        code.Should().Be(0, stderr);
        using var json = JsonDocument.Parse(stdout);
        var none = json.RootElement.GetProperty("methods").GetProperty("none");
        none.GetProperty("retrievalAccuracy").GetDouble().Should().BeInRange(0, 1);
        none.GetProperty("knnAccuracy").GetDouble().Should().BeInRange(0, 1);
        json.RootElement.GetProperty("methods").EnumerateObject().Select(p => p.Name).Should().Equal("none", "mp-empiric");
    }

    [Fact]
    public async Task Analyze_Table_ShowsMethodsSideBySide()
    {
        var path = Path.Combine(_dir, "d.npy");
        NpyWriter.Write(path, RandomMatrix(50, 5, ties: false), "<f4");
        var (code, stdout, _) = await Run("analyze", "--distances", path, "--methods", "none,mp-quantile,mp-sampled", "--recall-against", "mp-empiric");
        code.Should().Be(0);
        stdout.Should().Contain("none").And.Contain("mp-quantile").And.Contain("mp-sampled").And.Contain("anti-hubs").And.Contain("recall vs mp-empiric");
    }

    public static TheoryData<string, string, string[]> BadInputs() => new()
    {
        { "must be square, shape is 3x4", "npy-rect", ["--k", "2"] },
        { "NaN", "npy-nan", [] },
        { "unsupported dtype", "npy-int", [] },
        { "Fortran", "npy-fortran", [] },
        { "truncated", "npy-truncated", [] },
        { "bad magic", "garbage", [] },
        { "must be smaller than the number of songs", "npy-small", ["--k", "5"] },
        { "file not found", "missing", [] },
        { "row 1 has 2 values", "csv-ragged", [] },
        { "is not a number", "csv-text", [] },
        { "unknown matrix format", "txt", [] },
    };

    [Theory]
    [MemberData(nameof(BadInputs))]
    public async Task Analyze_BadMatrix_OneClearLineAndExitOne(string expected, string kind, string[] extra)
    {
        var path = MakeBad(kind);
        var (code, stdout, stderr) = await Run(["analyze", "--distances", path, .. extra]);
        code.Should().Be(1);
        stdout.Should().BeEmpty();
        var errorLines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l.StartsWith("error:", StringComparison.Ordinal)).ToList();
        errorLines.Should().ContainSingle().Which.Should().Contain(expected);
    }

    [Theory]
    [InlineData("--k", "0")]
    [InlineData("--methods", "none,mp-magic")]
    [InlineData("--format", "xml")]
    [InlineData("--recall-against", "mp-normal")]
    [InlineData("--bogus", "1")]
    public async Task Analyze_BadOption_IsUsageErrorTwo(string option, string value)
    {
        var path = Path.Combine(_dir, "d.npy");
        NpyWriter.Write(path, RandomMatrix(10, 1, ties: false));
        var (code, _, stderr) = await Run("analyze", "--distances", path, option, value);
        code.Should().Be(2);
        stderr.Should().StartWith("error:");
    }

    [Fact]
    public async Task Analyze_BothOrNoInput_IsUsageError()
    {
        (await Run("analyze")).Code.Should().Be(2);
        (await Run("analyze", "--distances", "a.npy", "--features", "b.jsonl")).Code.Should().Be(2);
    }

    [Fact]
    public async Task Analyze_MalformedFeatures_NamesTheLine()
    {
        var path = Path.Combine(_dir, "f.jsonl");
        await File.WriteAllLinesAsync(path, [Features("a", 0), "{\"id\": \"b\", \"mean\": [1, 2]}", Features("c", 1)]);
        var (code, _, stderr) = await Run("analyze", "--features", path);
        code.Should().Be(1);
        stderr.Should().Contain("line 2").And.Contain("\"mean\" must have 20 numbers, found 2");
    }

    [Fact]
    public async Task Analyze_Features_UsesJsonlLabelsAndMatchesDistanceRun()
    {
        var path = Path.Combine(_dir, "f.jsonl");
        await File.WriteAllLinesAsync(path, Enumerable.Range(0, 40).Select(i => Features($"s{i}", i, i % 2 == 0 ? "even" : "odd")));
        var (code, stdout, stderr) = await Run("analyze", "--features", path, "--format", "json", "--methods", "none,mp-empiric");
        code.Should().Be(0, stderr);
        using var json = JsonDocument.Parse(stdout);
        var none = json.RootElement.GetProperty("methods").GetProperty("none");
        none.GetProperty("occurrence").GetArrayLength().Should().Be(40);
        none.GetProperty("occurrence").EnumerateArray().Sum(v => v.GetInt32()).Should().Be(200);
        none.TryGetProperty("knnAccuracy", out _).Should().BeTrue();
    }

    internal static string Features(string id, int seed, string? label = null)
    {
        var rng = new Random(seed);
        var mean = Enumerable.Range(0, 20).Select(_ => rng.NextDouble() * 10).ToArray();
        var cov = new double[400];
        for (var i = 0; i < 20; i++)
        {
            cov[(i * 20) + i] = 1 + (rng.NextDouble() * 5);
        }

        var labels = label is null ? string.Empty : $", \"labels\": [\"{label}\"]";
        return $"{{\"id\": \"{id}\", \"mean\": [{string.Join(',', mean.Select(v => v.ToString("R", CultureInfo.InvariantCulture)))}], \"covariance\": [{string.Join(',', cov.Select(v => v.ToString("R", CultureInfo.InvariantCulture)))}]{labels}}}";
    }

    private static double[,] RandomMatrix(int n, int seed, bool ties)
    {
        var rng = new Random(seed);
        var d = new double[n, n];
        for (var i = 0; i < n; i++)
        {
            for (var j = i + 1; j < n; j++)
            {
                d[i, j] = d[j, i] = ties ? rng.Next(1, 4) : Math.Exp(3 * rng.NextDouble());
            }
        }

        return d;
    }

    private string MakeBad(string kind)
    {
        var path = Path.Combine(_dir, kind + kind switch { "txt" => ".txt", "missing" => ".npy", _ when kind.StartsWith("csv", StringComparison.Ordinal) => ".csv", _ => ".npy" });
        switch (kind)
        {
            case "npy-rect": NpyWriter.Write(path, new double[3, 4]); break;
            case "npy-nan":
                var d = RandomMatrix(5, 1, false);
                d[2, 3] = double.NaN;
                NpyWriter.Write(path, d);
                break;
            case "npy-int": NpyWriter.Write(path, RandomMatrix(5, 1, false), "<i4"); break;
            case "npy-fortran": NpyWriter.Write(path, RandomMatrix(5, 1, false), fortran: true); break;
            case "npy-truncated": NpyWriter.Write(path, RandomMatrix(5, 1, false), truncateTo: 150); break;
            case "npy-small": NpyWriter.Write(path, RandomMatrix(4, 1, false)); break;
            case "garbage": File.WriteAllText(path, "hello"); break;
            case "csv-ragged": File.WriteAllLines(path, ["0,1,2", "1,0", "2,1,0"]); break;
            case "csv-text": File.WriteAllLines(path, ["0,1", "x,0"]); break;
            case "txt": File.WriteAllText(path, "0"); break;
            case "missing": break;
            default: throw new ArgumentException(kind);
        }

        return path;
    }

    private static async Task<(int Code, string Stdout, string Stderr)> Run(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = await CommandLine.InvokeAsync(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }
}
