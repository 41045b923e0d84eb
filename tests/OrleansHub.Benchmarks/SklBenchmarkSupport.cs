using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using OrleansHub.Grains.Distance;
using OrleansHub.Grains.Model;

namespace OrleansHub.Benchmarks;

/// <summary>Shared data and report columns of the SKL kernel benchmarks.</summary>
internal static class SklBenchmarkSupport
{
    /// <summary>Bytes of one packed row.</summary>
    public const int RowBytes = SklPacking.Stride * sizeof(float);

    /// <summary>Flops of one (query,row) pair: one multiply and one add per packed float.</summary>
    public const int PairFlops = 2 * SklPacking.Stride;

    /// <summary>
    /// <paramref name="count"/> packed vectors: <paramref name="distinct"/> seeded random MFCC-scale
    /// Gaussians, packed once and tiled (the kernel's speed does not depend on the values).
    /// </summary>
    public static float[] Packed(int count, int distinct, int seed, bool queries)
    {
        var random = new Random(seed);
        var songs = new List<GaussianModel>(distinct);
        for (var i = 0; i < distinct; i++)
        {
            songs.Add(RandomMfcc(random));
        }

        var centre = SklPacking.Centre(songs);
        var unique = queries ? SklPacking.PackQueries(songs, centre) : SklPacking.PackRows(songs, centre);
        var packed = new float[(long)count * SklPacking.Stride];
        for (var i = 0; i < count; i++)
        {
            unique.AsSpan((i % distinct) * SklPacking.Stride, SklPacking.Stride).CopyTo(packed.AsSpan(i * SklPacking.Stride));
        }

        return packed;
    }

    private static GaussianModel RandomMfcc(Random random)
    {
        const int D = GaussianModel.Dimension;
        var mean = new double[D];
        var cov = new double[D * D];
        mean[0] = -300 * random.NextDouble();
        for (var i = 1; i < D; i++)
        {
            mean[i] = -20 + (40 * random.NextDouble());
        }

        for (var i = 0; i < D; i++)
        {
            for (var j = 0; j <= i; j++)
            {
                var v = i == j ? (i == 0 ? 300 : 1 + (49 * random.NextDouble())) : 0.3 * (random.NextDouble() - 0.5);
                cov[(i * D) + j] = v;
                cov[(j * D) + i] = v;
            }
        }

        return GaussianModel.FromMoments(mean, cov);
    }
}

/// <summary>A rate column: units of work per operation divided by the mean time per operation.</summary>
internal sealed class RateColumn(string name, string legend, Func<BenchmarkCase, double> unitsPerOperation) : IColumn
{
    public string Id => nameof(RateColumn) + name;

    public string ColumnName => name;

    public bool AlwaysShow => true;

    public ColumnCategory Category => ColumnCategory.Custom;

    public int PriorityInCategory => 0;

    public bool IsNumeric => true;

    public UnitType UnitType => UnitType.Dimensionless;

    public string Legend => legend;

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase)
    {
        var report = summary[benchmarkCase];
        var mean = report?.ResultStatistics?.Mean;
        if (mean is null || mean <= 0)
        {
            return "NA";
        }

        // Mean is nanoseconds per operation; units per nanosecond = G units per second.
        return (unitsPerOperation(benchmarkCase) / mean.Value).ToString("F2", System.Globalization.CultureInfo.InvariantCulture);
    }

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style) => GetValue(summary, benchmarkCase);

    public bool IsAvailable(Summary summary) => true;

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
}

/// <summary>Config adding Op/s and GB/s (bytes of packed rows streamed per operation = one row).</summary>
internal sealed class SklOneToManyConfig : ManualConfig
{
    public SklOneToManyConfig()
    {
        AddColumn(StatisticColumn.OperationsPerSecond);
        AddColumn(new RateColumn("GB/s", "Packed-row bytes per second / 1e9 (1,856 B per row)", _ => SklBenchmarkSupport.RowBytes));
    }
}

/// <summary>Config adding Op/s and GFLOP/s (a pair costs 928 flops, one FMA lane 2 flops).</summary>
internal sealed class SklManyToManyConfig : ManualConfig
{
    public SklManyToManyConfig()
    {
        AddColumn(StatisticColumn.OperationsPerSecond);
        AddColumn(new RateColumn(
            "GFLOP/s",
            "Float32 flops per second / 1e9 (pair = 2*464 flops, FMA lane = 2 flops)",
            c => c.Descriptor.WorkloadMethod.Name.StartsWith("PeakFma", StringComparison.Ordinal) ? 2 : SklBenchmarkSupport.PairFlops));
    }
}
