using System.Runtime.InteropServices;

namespace OrleansHub.Grains.Engine;

/// <content>Binary snapshots of the whole engine state.</content>
public sealed partial class CatalogueEngine
{
    /// <summary>Current snapshot format version.</summary>
    public const int SnapshotVersion = 2;

    private static readonly byte[] Magic = "OHENGINE"u8.ToArray();

    /// <summary>
    /// Writes the whole state: magic "OHENGINE", int32 version, int64 payload length, uint32 CRC-32
    /// of the payload, then the payload (options, centre, counters, ids, every shard's used slots,
    /// alert hysteresis state). Restoring and applying the same later events gives the same state
    /// as the live engine, bit for bit.
    /// </summary>
    public void WriteSnapshot(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var payload = new MemoryStream();
        using (var w = new BinaryWriter(payload, System.Text.Encoding.UTF8, leaveOpen: true))
        {
            WritePayload(w);
        }

        var bytes = payload.GetBuffer().AsSpan(0, (int)payload.Length);
        using var header = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true);
        header.Write(Magic);
        header.Write(SnapshotVersion);
        header.Write((long)bytes.Length);
        header.Write(Crc32.Compute(bytes));
        header.Write(bytes);
    }

    /// <summary>Restores an engine from <see cref="WriteSnapshot"/> output.</summary>
    /// <exception cref="InvalidDataException">Bad magic, unknown version, truncated data or checksum mismatch.</exception>
    public static CatalogueEngine ReadSnapshot(Stream stream, int maxDegreeOfParallelism = -1)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var r = new BinaryReader(stream, System.Text.Encoding.UTF8, leaveOpen: true);
        try
        {
            var magic = r.ReadBytes(Magic.Length);
            if (!magic.AsSpan().SequenceEqual(Magic))
            {
                throw new InvalidDataException("Not an engine snapshot (bad magic).");
            }

            var version = r.ReadInt32();
            if (version != SnapshotVersion)
            {
                throw new InvalidDataException($"Unsupported snapshot version {version} (expected {SnapshotVersion}).");
            }

            var length = r.ReadInt64();
            var crc = r.ReadUInt32();
            if (length is < 0 or > int.MaxValue)
            {
                throw new InvalidDataException("Corrupt snapshot length.");
            }

            var bytes = r.ReadBytes((int)length);
            if (bytes.Length != length)
            {
                throw new InvalidDataException("Truncated snapshot.");
            }

            if (Crc32.Compute(bytes) != crc)
            {
                throw new InvalidDataException("Snapshot checksum mismatch.");
            }

            using var payload = new BinaryReader(new MemoryStream(bytes));
            return ReadPayload(payload, maxDegreeOfParallelism);
        }
        catch (EndOfStreamException ex)
        {
            throw new InvalidDataException("Truncated snapshot.", ex);
        }
    }

    private void WritePayload(BinaryWriter w)
    {
        var o = _options;
        w.Write(o.K);
        w.Write(o.Candidates);
        w.Write(o.Quantiles);
        w.Write(o.Tail);
        w.Write(o.Staleness);
        w.Write(o.MinRefresh);
        w.Write(o.HubSize);
        w.Write(o.HubRecedeFraction);
        w.Write(o.SuspiciousWindow);
        w.Write(o.AnomalyZ);
        w.Write(o.AnomalyMinSongs);
        w.Write(o.DriftSkewness);
        w.Write(o.DriftHubShare);
        w.Write(o.DriftAntihubShare);
        w.Write(o.DriftMinSongs);
        w.Write(o.ShardCapacity);
        w.Write(_centreFixed);
        foreach (var c in _centre)
        {
            w.Write(c);
        }

        w.Write(_live);
        w.Write(_refreshCursor);
        w.Write(_lastSequence);
        w.Write(_anomalyCount);
        w.Write(_anomalyMean);
        w.Write(_anomalyM2);
        foreach (var b in _driftState)
        {
            w.Write(b);
        }

        w.Write(_ids.Count);
        foreach (var id in _ids)
        {
            w.Write(id);
        }

        foreach (var s in _shards)
        {
            var u = s.Used;
            w.Write(u);
            WriteArray(w, s.Rows.AsSpan(0, u * Stride));
            WriteArray(w, s.Knots.AsSpan(0, u * s.Quantiles));
            WriteArray(w, s.Counts.AsSpan(0, u * (s.Quantiles + 1)));
            WriteArray(w, s.Headers.AsSpan(0, u));
            WriteArray(w, s.TailDist.AsSpan(0, u * s.Tail));
            WriteArray(w, s.TailOrd.AsSpan(0, u * s.Tail));
            WriteArray(w, s.TailCount.AsSpan(0, u));
            WriteArray(w, s.CandDist.AsSpan(0, u * s.Candidates));
            WriteArray(w, s.CandScore.AsSpan(0, u * s.Candidates));
            WriteArray(w, s.CandOrd.AsSpan(0, u * s.Candidates));
            WriteArray(w, s.CandCount.AsSpan(0, u));
            WriteArray(w, s.MpList.AsSpan(0, u * s.K));
            WriteArray(w, s.MpCount.AsSpan(0, u));
            WriteArray(w, s.Tau.AsSpan(0, u));
            WriteArray(w, s.OccSkl.AsSpan(0, u));
            WriteArray(w, s.OccMp.AsSpan(0, u));
            WriteArray(w, s.Alive.AsSpan(0, u));
            WriteArray(w, s.InsertedAt.AsSpan(0, u));
            WriteArray(w, s.Flags.AsSpan(0, u));
        }
    }

    private static CatalogueEngine ReadPayload(BinaryReader r, int maxDegreeOfParallelism)
    {
        var options = new EngineOptions(
            K: r.ReadInt32(),
            Candidates: r.ReadInt32(),
            Quantiles: r.ReadInt32(),
            Tail: r.ReadInt32(),
            Staleness: r.ReadInt32(),
            MinRefresh: r.ReadInt32(),
            HubSize: r.ReadInt32(),
            HubRecedeFraction: r.ReadDouble(),
            SuspiciousWindow: r.ReadInt32(),
            AnomalyZ: r.ReadDouble(),
            AnomalyMinSongs: r.ReadInt32(),
            DriftSkewness: r.ReadDouble(),
            DriftHubShare: r.ReadDouble(),
            DriftAntihubShare: r.ReadDouble(),
            DriftMinSongs: r.ReadInt32(),
            ShardCapacity: r.ReadInt32(),
            MaxDegreeOfParallelism: maxDegreeOfParallelism);
        var engine = new CatalogueEngine(options);
        engine._centreFixed = r.ReadBoolean();
        for (var i = 0; i < Dim; i++)
        {
            engine._centre[i] = r.ReadDouble();
        }

        engine._live = r.ReadInt32();
        engine._refreshCursor = r.ReadInt32();
        engine._lastSequence = r.ReadInt64();
        engine._anomalyCount = r.ReadInt64();
        engine._anomalyMean = r.ReadDouble();
        engine._anomalyM2 = r.ReadDouble();
        for (var i = 0; i < engine._driftState.Length; i++)
        {
            engine._driftState[i] = r.ReadBoolean();
        }

        var count = r.ReadInt32();
        for (var i = 0; i < count; i++)
        {
            engine._ids.Add(r.ReadString());
        }

        var capacity = options.ShardCapacity;
        var shards = (count + capacity - 1) / capacity;
        for (var si = 0; si < shards; si++)
        {
            var s = new Shard(si * capacity, capacity, options);
            var u = r.ReadInt32();
            if (u < 0 || u > capacity)
            {
                throw new InvalidDataException("Corrupt shard size.");
            }

            s.Used = u;
            ReadArray(r, s.Rows.AsSpan(0, u * Stride));
            ReadArray(r, s.Knots.AsSpan(0, u * s.Quantiles));
            ReadArray(r, s.Counts.AsSpan(0, u * (s.Quantiles + 1)));
            ReadArray(r, s.Headers.AsSpan(0, u));
            ReadArray(r, s.TailDist.AsSpan(0, u * s.Tail));
            ReadArray(r, s.TailOrd.AsSpan(0, u * s.Tail));
            ReadArray(r, s.TailCount.AsSpan(0, u));
            ReadArray(r, s.CandDist.AsSpan(0, u * s.Candidates));
            ReadArray(r, s.CandScore.AsSpan(0, u * s.Candidates));
            ReadArray(r, s.CandOrd.AsSpan(0, u * s.Candidates));
            ReadArray(r, s.CandCount.AsSpan(0, u));
            ReadArray(r, s.MpList.AsSpan(0, u * s.K));
            ReadArray(r, s.MpCount.AsSpan(0, u));
            ReadArray(r, s.Tau.AsSpan(0, u));
            ReadArray(r, s.OccSkl.AsSpan(0, u));
            ReadArray(r, s.OccMp.AsSpan(0, u));
            ReadArray(r, s.Alive.AsSpan(0, u));
            ReadArray(r, s.InsertedAt.AsSpan(0, u));
            ReadArray(r, s.Flags.AsSpan(0, u));
            engine._shards.Add(s);
        }

        engine._distances = new float[Math.Max(1024, count)];
        for (var o = 0; o < count; o++)
        {
            var (s, l) = engine.Locate(o);
            if (s.Alive[l])
            {
                engine._ordinals.Add(engine._ids[o], o);
                engine._skl.AddSong(s.OccSkl[l]);
                engine._mp.AddSong(s.OccMp[l]);
            }
        }

        return engine;
    }

    private static void WriteArray<T>(BinaryWriter w, Span<T> values)
        where T : unmanaged => w.Write(MemoryMarshal.AsBytes(values));

    private static void ReadArray<T>(BinaryReader r, Span<T> values)
        where T : unmanaged
    {
        var bytes = MemoryMarshal.AsBytes(values);
        if (r.Read(bytes) != bytes.Length)
        {
            throw new InvalidDataException("Truncated snapshot.");
        }
    }
}
