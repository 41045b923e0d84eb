using FluentAssertions;
using OrleansHub.Grains.Analysis;
using OrleansHub.Grains.Distance;
using OrleansHub.Grains.Engine;
using OrleansHub.Grains.Sketch;

namespace OrleansHub.Grains.Tests.Engine;

public sealed class CatalogueEngineTests
{
    [Fact]
    public void QueryFromRow_AnySong_EqualsPackQueryBitForBit()
    {
        var centre = new double[20];
        centre[0] = 23;
        centre[1] = 60;
        var row = new float[SklPacking.Stride];
        var packed = new float[SklPacking.Stride];
        var derived = new float[SklPacking.Stride];
        for (var i = 0; i < 40; i++)
        {
            SklPacking.PackRow(EngineTestSupport.Song(i), centre, row);
            SklPacking.PackQuery(EngineTestSupport.Song(i), centre, packed);
            SklPacking.QueryFromRow<float>(row, derived);
            derived.Select(BitConverter.SingleToInt32Bits).Should().Equal(packed.Select(BitConverter.SingleToInt32Bits));
        }
    }

    [Fact]
    public void Insert_ManySongs_SklListsEqualBruteForce()
    {
        var engine = new CatalogueEngine(EngineTestSupport.Small());
        EngineTestSupport.Run(engine, EngineTestSupport.Log(90, deletes: false));

        foreach (var x in engine.LiveOrdinals())
        {
            engine.NeighbourOrdinals(x, Metric.Skl).Should().Equal(EngineTestSupport.ExactSkl(engine, x), $"song {x}");
        }
    }

    [Fact]
    public void InsertAndDelete_Log_SklListsEqualBruteForceOverLiveSongs()
    {
        var engine = new CatalogueEngine(EngineTestSupport.Small());
        EngineTestSupport.Run(engine, EngineTestSupport.Log(120, deletes: true));

        engine.Count.Should().BeLessThan(120);
        foreach (var x in engine.LiveOrdinals())
        {
            engine.NeighbourOrdinals(x, Metric.Skl).Should().Equal(EngineTestSupport.ExactSkl(engine, x), $"song {x}");
        }
    }

    [Fact]
    public void Delete_MostSongs_RefilledListsStayExactAndCountsConsistent()
    {
        var engine = new CatalogueEngine(EngineTestSupport.Small());
        EngineTestSupport.Run(engine, EngineTestSupport.Log(100, deletes: false));
        long seq = engine.LastSequence;
        for (var i = 0; i < 100; i++)
        {
            if (i % 3 != 0)
            {
                engine.Apply(new DeleteSong(++seq, EngineTestSupport.Id(i)));
            }
        }

        engine.Count.Should().Be(34);
        foreach (var x in engine.LiveOrdinals())
        {
            engine.NeighbourOrdinals(x, Metric.Skl).Should().Equal(EngineTestSupport.ExactSkl(engine, x), $"song {x}");
            engine.NeighbourOrdinals(x, Metric.Mp).Should().HaveCount(engine.Options.K).And.OnlyContain(t => engine.IsLive(t));
        }

        foreach (var metric in new[] { Metric.Skl, Metric.Mp })
        {
            engine.LiveOrdinals().Sum(o => engine.Occurrence(o, metric)).Should().Be(engine.Options.K * engine.Count);
            engine.Measures(metric).Histogram.Sum().Should().Be(engine.Count);
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Occurrence_AfterLog_EqualsCountsRecomputedFromLists(bool deletes)
    {
        var engine = new CatalogueEngine(EngineTestSupport.Small());
        EngineTestSupport.Run(engine, EngineTestSupport.Log(120, deletes));
        var live = engine.LiveOrdinals();
        var k = engine.Options.K;

        foreach (var metric in new[] { Metric.Skl, Metric.Mp })
        {
            var occurrence = live.ToDictionary(o => o, _ => 0);
            foreach (var x in live)
            {
                var list = engine.NeighbourOrdinals(x, metric);
                list.Should().HaveCount(k).And.OnlyHaveUniqueItems().And.NotContain(x);
                list.Should().OnlyContain(t => engine.IsLive(t));
                foreach (var t in list)
                {
                    occurrence[t]++;
                }
            }

            live.Select(o => engine.Occurrence(o, metric)).Should().Equal(live.Select(o => occurrence[o]), metric.ToString());
            occurrence.Values.Sum().Should().Be(k * live.Length);
            var report = HubnessMeasures.FromOccurrence(live.Select(o => occurrence[o]).ToArray(), k, engine.Options.HubSize);
            var measures = engine.Measures(metric);
            measures.Hubs.Should().Be(report.Hubs);
            measures.Antihubs.Should().Be(report.Antihubs);
            measures.MaxOccurrence.Should().Be(report.MaxOccurrence);
            measures.Skewness.Should().BeApproximately(report.Skewness, 1e-9, "power sums are exact integers");
            measures.RobinHood.Should().BeApproximately(report.RobinHood, 1e-12);
            measures.Gini.Should().BeApproximately(report.Gini, 1e-12);
        }
    }

    [Fact]
    public void Apply_SameLog_BitIdenticalStateForOneAndManyThreads()
    {
        var log = EngineTestSupport.Log(120, deletes: true);
        var one = new CatalogueEngine(EngineTestSupport.Small(threads: 1));
        var many = new CatalogueEngine(EngineTestSupport.Small(threads: 4));
        var alertsOne = EngineTestSupport.Run(one, log);
        var alertsMany = EngineTestSupport.Run(many, log);

        EngineTestSupport.Snapshot(many).Should().Equal(EngineTestSupport.Snapshot(one));
        alertsMany.Should().Equal(alertsOne);
    }

    [Fact]
    public void InsertBatch_Songs_SameStateAndAlertsAsOneByOne()
    {
        var singles = EngineTestSupport.Log(100, deletes: false);
        var oneByOne = new CatalogueEngine(EngineTestSupport.Small());
        var alertsSingle = EngineTestSupport.Run(oneByOne, singles);

        var batched = new CatalogueEngine(EngineTestSupport.Small());
        var inserts = singles.Cast<InsertSong>().ToList();
        var alertsBatch = new List<Alert>();
        alertsBatch.AddRange(batched.Apply(inserts[0]));
        foreach (var chunk in inserts.Skip(1).Chunk(13))
        {
            alertsBatch.AddRange(batched.Apply(new InsertBatch(chunk[0].Sequence, chunk)));
        }

        EngineTestSupport.Snapshot(batched).Should().Equal(EngineTestSupport.Snapshot(oneByOne));
        alertsBatch.Should().Equal(alertsSingle);
    }

    [Theory]
    [InlineData(1, 5, false)]
    [InlineData(4, 9, false)]
    [InlineData(4, 60, false)]
    [InlineData(4, 60, true)]
    public void InsertBatch_DeletesBetweenBatches_SameStateAndAlertsAsOneByOne(int threads, int chunk, bool smallScratch)
    {
        // Batches defer most sketch updates until a read or the batch end; deletions between batches
        // leave short tails and refills behind, so the gate and catch-up paths all run.
        var log = EngineTestSupport.Log(160, deletes: true);
        var oneByOne = new CatalogueEngine(EngineTestSupport.Small(threads));
        var alertsSingle = EngineTestSupport.Run(oneByOne, log);

        // smallScratch: a scratch bound of 8 KiB splits each batch into chunks of a few songs.
        var batched = new CatalogueEngine(EngineTestSupport.Small(threads)) { BatchScratchBytes = smallScratch ? 8 << 10 : 512L << 20 };
        var alertsBatch = new List<Alert>();
        var run = new List<InsertSong>();
        void Flush()
        {
            if (run.Count > 0)
            {
                alertsBatch.AddRange(batched.Apply(new InsertBatch(run[0].Sequence, run.ToArray())));
                run.Clear();
            }
        }

        foreach (var e in log)
        {
            if (e is InsertSong insert)
            {
                run.Add(insert);
                if (run.Count == chunk)
                {
                    Flush();
                }
            }
            else
            {
                Flush();
                alertsBatch.AddRange(batched.Apply(e));
            }
        }

        Flush();
        EngineTestSupport.Snapshot(batched).Should().Equal(EngineTestSupport.Snapshot(oneByOne));
        alertsBatch.Should().Equal(alertsSingle);
        for (var i = 0; i < 160; i++)
        {
            batched.Lookup(EngineTestSupport.Id(i)).Should().Be(oneByOne.Lookup(EngineTestSupport.Id(i)));
        }
    }

    [Fact]
    public void Snapshot_RoundTrip_RestorePlusTailEqualsLive()
    {
        var log = EngineTestSupport.Log(120, deletes: true);
        var cut = log.Count / 2;
        var live = new CatalogueEngine(EngineTestSupport.Small());
        EngineTestSupport.Run(live, log.Take(cut));
        var snapshot = EngineTestSupport.Snapshot(live);
        var restored = CatalogueEngine.ReadSnapshot(new MemoryStream(snapshot));
        EngineTestSupport.Snapshot(restored).Should().Equal(snapshot, "a restored engine writes the same snapshot");

        var liveAlerts = EngineTestSupport.Run(live, log.Skip(cut));
        var restoredAlerts = EngineTestSupport.Run(restored, log.Skip(cut));

        EngineTestSupport.Snapshot(restored).Should().Equal(EngineTestSupport.Snapshot(live));
        restoredAlerts.Should().Equal(liveAlerts);
        restored.Measures(Metric.Mp).Should().BeEquivalentTo(live.Measures(Metric.Mp));
    }

    [Theory]
    [InlineData("bit flip")]
    [InlineData("truncated")]
    [InlineData("bad magic")]
    [InlineData("bad version")]
    public void ReadSnapshot_CorruptData_ThrowsInvalidData(string corruption)
    {
        var engine = new CatalogueEngine(EngineTestSupport.Small());
        EngineTestSupport.Run(engine, EngineTestSupport.Log(30, deletes: false));
        var bytes = EngineTestSupport.Snapshot(engine);
        switch (corruption)
        {
            case "bit flip": bytes[bytes.Length / 2] ^= 0x10; break;
            case "truncated": bytes = bytes[..(bytes.Length - 9)]; break;
            case "bad magic": bytes[0] = (byte)'X'; break;
            default: bytes[8] = 99; break;
        }

        var read = () => CatalogueEngine.ReadSnapshot(new MemoryStream(bytes));
        read.Should().Throw<InvalidDataException>();
    }

    [Fact]
    public void Crc32_StandardCheckValue_Matches()
    {
        Crc32.Compute("123456789"u8).Should().Be(0xCBF43926u);
        Crc32.Compute([]).Should().Be(0u);
        Crc32.Append(Crc32.Compute("1234"u8), "56789"u8).Should().Be(0xCBF43926u);
    }

    [Fact]
    public void Apply_EdgeCatalogues_EmptyOneSongAndKAtLeastN()
    {
        var engine = new CatalogueEngine(EngineTestSupport.Small());
        engine.Count.Should().Be(0);
        engine.Measures(Metric.Skl).Count.Should().Be(0);
        engine.Apply(new InsertSong(1, "a", EngineTestSupport.Song(0)));
        engine.NeighbourOrdinals(0, Metric.Skl).Should().BeEmpty();
        engine.NeighbourOrdinals(0, Metric.Mp).Should().BeEmpty();
        engine.Apply(new InsertSong(2, "b", EngineTestSupport.Song(1)));
        engine.Apply(new InsertSong(3, "c", EngineTestSupport.Song(2)));
        engine.NeighbourOrdinals(0, Metric.Skl).Should().BeEquivalentTo([1, 2]);
        engine.NeighbourOrdinals(0, Metric.Mp).Should().BeEquivalentTo([1, 2]);
        engine.Measures(Metric.Skl).Histogram.Sum().Should().Be(3);

        engine.Apply(new DeleteSong(4, "a"));
        engine.Apply(new DeleteSong(5, "b"));
        engine.Apply(new DeleteSong(6, "c"));
        engine.Count.Should().Be(0);
        engine.Measures(Metric.Mp).Hubs.Should().Be(0);
        engine.Apply(new InsertSong(7, "a", EngineTestSupport.Song(0)));
        engine.Count.Should().Be(1);
        engine.Lookup("a")!.Ordinal.Should().Be(3);
    }

    [Fact]
    public void Apply_InvalidEvents_Throw()
    {
        var engine = new CatalogueEngine(EngineTestSupport.Small());
        engine.Apply(new InsertSong(5, "a", EngineTestSupport.Song(0)));

        ((Action)(() => engine.Apply(new InsertSong(5, "b", EngineTestSupport.Song(1))))).Should().Throw<ArgumentException>("sequence must increase");
        ((Action)(() => engine.Apply(new InsertSong(6, "a", EngineTestSupport.Song(1))))).Should().Throw<ArgumentException>("duplicate id");
        ((Action)(() => engine.Apply(new DeleteSong(7, "zzz")))).Should().Throw<ArgumentException>("unknown id");
        engine.Count.Should().Be(1);
    }

    [Fact]
    public void Alerts_HubEvents_CarryCausingSequenceAndFollowOccurrence()
    {
        var engine = new CatalogueEngine(EngineTestSupport.Small() with { SuspiciousWindow = 1_000_000 });
        var log = EngineTestSupport.Log(100, deletes: false);
        var emerged = new Dictionary<(string, Metric), long>();
        foreach (var e in log)
        {
            foreach (var alert in engine.Apply(e))
            {
                alert.Sequence.Should().Be(e.Sequence);
                switch (alert)
                {
                    case HubEmerged h:
                        h.Occurrence.Should().BeGreaterThanOrEqualTo(engine.Options.HubSize * engine.Options.K);
                        emerged[(h.Id, h.Metric)] = h.Sequence;
                        break;
                    case HubReceded r:
                        emerged.Should().ContainKey((r.Id, r.Metric));
                        r.Occurrence.Should().BeLessThan((int)(engine.Options.HubRecedeFraction * engine.Options.HubSize * engine.Options.K) + 1);
                        emerged.Remove((r.Id, r.Metric));
                        break;
                    case SuspiciousUpload s:
                        emerged.Should().ContainKey((s.Id, s.Metric));
                        break;
                }
            }
        }

        emerged.Should().NotBeEmpty("hub size 2 makes hubs of songs with O^k ≥ 10 in this catalogue");
        foreach (var ((id, metric), _) in emerged)
        {
            engine.Occurrence(engine.Lookup(id)!.Ordinal, metric).Should().BeGreaterThanOrEqualTo((int)(engine.Options.HubRecedeFraction * 10));
        }
    }

    [Fact]
    public void Neighbours_ById_MatchOrdinalsWithDistances()
    {
        var engine = new CatalogueEngine(EngineTestSupport.Small());
        EngineTestSupport.Run(engine, EngineTestSupport.Log(50, deletes: false));
        var id = EngineTestSupport.Id(10);
        var skl = engine.Neighbours(id, Metric.Skl);
        skl.Select(n => n.Ordinal).Should().Equal(engine.NeighbourOrdinals(10, Metric.Skl));
        skl.Select(n => n.Distance).Should().BeInAscendingOrder();
        foreach (var n in skl)
        {
            n.Distance.Should().Be(EngineTestSupport.Distance(engine, 10, n.Ordinal));
        }

        engine.Neighbours(id, Metric.Mp).Select(n => n.MpDistance).Should().BeInAscendingOrder();
        engine.TopHubs(Metric.Skl, 3).Should().HaveCount(3);
        engine.Antihubs(Metric.Skl, 0, 1000).Should().HaveCount((int)engine.Measures(Metric.Skl).Antihubs);
    }
}

public sealed class EngineSketchTests
{
    [Fact]
    public void InsertedSongSketch_FromFullRow_EqualsSketchOpsInitialise()
    {
        var engine = new CatalogueEngine(EngineTestSupport.Small());
        EngineTestSupport.Run(engine, EngineTestSupport.Log(150, deletes: false));
        var last = engine.OrdinalCount - 1;
        var values = engine.LiveOrdinals().Where(o => o != last).Select(o => (double)EngineTestSupport.Distance(engine, last, o)).ToArray();
        var q = engine.Options.Quantiles;
        var knots = new float[q];
        var counts = new float[q + 1];
        var header = OrleansHub.Grains.Sketch.SketchHeader.Empty;
        OrleansHub.Grains.Sketch.SketchOps.Initialise(knots, counts, ref header, values);

        var (engineKnots, engineCounts, engineHeader) = engine.SketchOf(last);

        engineKnots.Should().Equal(knots);
        engineCounts.Should().Equal(counts);
        engineHeader.Count.Should().Be(header.Count);
        engineHeader.KnottedAt.Should().Be(header.KnottedAt);
        engineHeader.Min.Should().Be(header.Min);
        engineHeader.Max.Should().Be(header.Max);
        engineHeader.Mean.Should().BeApproximately(header.Mean, 1e-9 * Math.Abs(header.Mean), "shifted sums vs Welford");
        engineHeader.M2.Should().BeApproximately(header.M2, 1e-8 * header.M2);
    }

    [Fact]
    public void SketchBucket_Vectorised_EqualsCountOfSmallerKnotsOnTiesAndEnds()
    {
        var rng = new Random(5);
        foreach (var q in new[] { 2, 7, 8, 16, 63, 64, 65 })
        {
            var knots = Enumerable.Range(0, q).Select(_ => (float)Math.Round(rng.NextDouble() * 20)).Order().ToArray();
            foreach (var v in knots.Concat([-1f, 0f, 10.5f, 20f, 21f, float.MaxValue]))
            {
                SketchOps.Bucket(knots, v).Should().Be(knots.Count(k => k < v), $"q={q}, v={v}");
                SketchOps.BucketFromBelow(knots, v).Should().Be(knots.Count(k => k < v), $"from below: q={q}, v={v}");
            }
        }
    }
}

public sealed class RowScanTests
{
    [Theory]
    [InlineData(0, false)]
    [InlineData(5, false)]
    [InlineData(1_003, false)]
    [InlineData(1_003, true)]
    public void ScanRow_VectorAndScalarPaths_MatchPlainLoop(int length, bool withDeadSong)
    {
        var rng = new Random(length);
        var row = Enumerable.Range(0, length).Select(_ => (float)Math.Exp(rng.NextDouble() * 8)).ToArray();
        var alive = Enumerable.Repeat(true, length).ToArray();
        for (var i = 3; i < length; i += 97)
        {
            row[i] = float.NaN;                      // the song itself in a refill row
        }

        if (withDeadSong)
        {
            alive[length / 2] = false;
        }

        const float Threshold = 40f;
        const double Shift = 100;
        var keys = new List<ulong>();
        var (n, sum, squares, min, max) = CatalogueEngine.ScanRow(row, alive, 500, Threshold, Shift, keys);

        var live = Enumerable.Range(0, length).Where(i => alive[i] && !float.IsNaN(row[i])).ToArray();
        n.Should().Be(live.Length);
        keys.Should().Equal(live.Where(i => row[i] <= Threshold).Select(i => CatalogueEngine.Key(row[i], 500 + i)));
        if (live.Length > 0)
        {
            min.Should().Be(live.Min(i => row[i]));
            max.Should().Be(live.Max(i => row[i]));
            sum.Should().BeApproximately(live.Sum(i => row[i] - Shift), 1e-9 * live.Sum(i => Math.Abs(row[i] - Shift)));
            squares.Should().BeApproximately(live.Sum(i => (row[i] - Shift) * (row[i] - Shift)), 1e-9 * squares);
        }
    }
}

public sealed class ShardLayoutTests
{
    [Fact]
    public void BytesPerSlot_EqualsTheShardsArrays()
    {
        var options = new EngineOptions(ShardCapacity: 16);
        var shard = new Shard(0, 16, options);
        long bytes = 0;
        foreach (var property in typeof(Shard).GetProperties().Where(p => p.PropertyType.IsArray))
        {
            var array = (Array)property.GetValue(shard)!;
            var element = property.PropertyType.GetElementType()!;
            var size = element == typeof(OrleansHub.Grains.Sketch.SketchHeader)
                ? System.Runtime.CompilerServices.Unsafe.SizeOf<OrleansHub.Grains.Sketch.SketchHeader>()
                : System.Runtime.InteropServices.Marshal.SizeOf(element == typeof(bool) ? typeof(byte) : element);
            bytes += array.LongLength * size;
        }

        (bytes / 16).Should().Be(Shard.BytesPerSlot(options));
        Shard.BytesPerSlot(new EngineOptions()).Should().Be(3_182, "the figure docs/engine.md and the README quote");
    }
}
