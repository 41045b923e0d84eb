using OrleansHub.Grains.Distance;
using OrleansHub.Grains.Engine;
using OrleansHub.Grains.Model;

namespace OrleansHub.Grains.Tests.Engine;

/// <summary>Catalogues, event logs and brute-force references for the engine tests.</summary>
internal static class EngineTestSupport
{
    private static readonly Lazy<IReadOnlyList<SyntheticSong>> Songs = new(() => SyntheticCatalogue.Generate(160, 7));

    /// <summary>Small shards so that a 160-song catalogue spans many of them (exercises the parallel paths).</summary>
    public static EngineOptions Small(int threads = -1) => new(Candidates: 12, Quantiles: 16, Tail: 8, Staleness: 10, MinRefresh: 4, HubSize: 2, ShardCapacity: 16, MaxDegreeOfParallelism: threads);

    public static GaussianModel Song(int i) => Songs.Value[i].Model;

    public static string Id(int i) => $"song-{i:D3}";

    /// <summary>Inserts n songs, deletes every 7th after song 40 once 60 are in, with strictly increasing sequence numbers.</summary>
    public static List<CatalogueEvent> Log(int n, bool deletes)
    {
        var log = new List<CatalogueEvent>();
        long seq = 0;
        for (var i = 0; i < n; i++)
        {
            log.Add(new InsertSong(++seq, Id(i), Song(i)));
            if (deletes && i >= 60 && i % 7 == 0)
            {
                log.Add(new DeleteSong(++seq, Id(i - 50)));
            }
        }

        return log;
    }

    public static List<Alert> Run(CatalogueEngine engine, IEnumerable<CatalogueEvent> log)
    {
        var alerts = new List<Alert>();
        foreach (var e in log)
        {
            alerts.AddRange(engine.Apply(e));
        }

        return alerts;
    }

    public static byte[] Snapshot(CatalogueEngine engine)
    {
        using var stream = new MemoryStream();
        engine.WriteSnapshot(stream);
        return stream.ToArray();
    }

    /// <summary>Canonical distance of two ordinals: kernel(query of the later, row of the earlier).</summary>
    public static float Distance(CatalogueEngine engine, int a, int b)
    {
        var (early, late) = a < b ? (a, b) : (b, a);
        var row = new float[SklPacking.Stride];
        var lateRow = new float[SklPacking.Stride];
        var query = new float[SklPacking.Stride];
        engine.CopyRow(early, row);
        engine.CopyRow(late, lateRow);
        SklPacking.QueryFromRow<float>(lateRow, query);
        var d = new float[1];
        SklKernel.OneToMany(query, row, d);
        return d[0];
    }

    /// <summary>Brute-force SKL k-NN list of a live ordinal (distance, then ordinal).</summary>
    public static int[] ExactSkl(CatalogueEngine engine, int x)
    {
        return engine.LiveOrdinals()
            .Where(t => t != x)
            .Select(t => (t, d: Distance(engine, x, t)))
            .OrderBy(e => e.d)
            .ThenBy(e => e.t)
            .Take(engine.Options.K)
            .Select(e => e.t)
            .ToArray();
    }
}
