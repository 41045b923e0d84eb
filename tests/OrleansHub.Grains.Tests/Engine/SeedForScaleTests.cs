using FluentAssertions;
using OrleansHub.Grains.Engine;
using OrleansHub.Grains.Model;

namespace OrleansHub.Grains.Tests.Engine;

/// <summary>
/// The approximate bulk seeder of the scale benchmark: its lists are not the one-by-one lists,
/// but the engine it builds must be internally consistent and keep working through real events.
/// </summary>
public sealed class SeedForScaleTests
{
    [Fact]
    public void SeedForScale_ThenInsertsAndBatch_ListsAndCountsConsistent()
    {
        var songs = SyntheticCatalogue.Generate(2_060, 3);
        var chunks = songs.Take(2_000).Select((s, i) => (Id: $"seed-{i}", s.Model)).Chunk(300).Select(c => (IReadOnlyList<(string, GaussianModel)>)c);
        var engine = CatalogueEngine.SeedForScale(chunks, new EngineOptions(ShardCapacity: 512), 256);

        engine.Count.Should().Be(2_000);
        AssertConsistent(engine);

        long seq = engine.LastSequence;
        for (var i = 2_000; i < 2_030; i++)
        {
            engine.Apply(new InsertSong(++seq, $"seed-{i}", songs[i].Model));
        }

        var batch = Enumerable.Range(2_030, 30).Select(i => new InsertSong(seq + 1 + (i - 2_030), $"seed-{i}", songs[i].Model)).ToArray();
        engine.Apply(new InsertBatch(seq + 1, batch));

        engine.Count.Should().Be(2_060);
        AssertConsistent(engine);
        foreach (var x in new[] { 2_000, 2_029, 2_030, 2_059 })
        {
            engine.NeighbourOrdinals(x, Metric.Skl).Should().Equal(EngineTestSupport.ExactSkl(engine, x), "a song inserted after seeding has its exact SKL list");
        }
    }

    private static void AssertConsistent(CatalogueEngine engine)
    {
        var live = engine.LiveOrdinals();
        var k = engine.Options.K;
        foreach (var metric in new[] { Metric.Skl, Metric.Mp })
        {
            var occurrence = new int[engine.OrdinalCount];
            foreach (var x in live)
            {
                var list = engine.NeighbourOrdinals(x, metric);
                list.Should().HaveCount(k).And.OnlyHaveUniqueItems().And.NotContain(x);
                foreach (var t in list)
                {
                    occurrence[t]++;
                }
            }

            live.Select(o => engine.Occurrence(o, metric)).Should().Equal(live.Select(o => occurrence[o]), metric.ToString());
            engine.Measures(metric).Histogram.Sum().Should().Be(live.Length);
        }
    }
}
