using OrleansHub.Grains.Distance;
using OrleansHub.Grains.Sketch;

namespace OrleansHub.Grains.Engine;

/// <summary>
/// A contiguous structure-of-arrays block of songs (ordinals [First, First + Capacity)): packed
/// rows for the kernel, sketches, exact SKL tails, MP candidate buffers, MP lists, O^k counters.
/// Song state is plain arrays so that a shard turn is a vectorisable pass and a snapshot is a copy.
/// </summary>
internal sealed class Shard
{
    public Shard(int first, int capacity, EngineOptions options)
    {
        First = first;
        Capacity = capacity;
        Quantiles = options.Quantiles;
        Tail = options.Tail;
        Candidates = options.Candidates;
        K = options.K;
        Rows = new float[capacity * SklPacking.Stride];
        Knots = new float[capacity * Quantiles];
        Counts = new float[capacity * (Quantiles + 1)];
        Headers = new SketchHeader[capacity];
        TailDist = new float[capacity * Tail];
        TailOrd = new int[capacity * Tail];
        TailCount = new int[capacity];
        CandDist = new float[capacity * Candidates];
        CandScore = new float[capacity * Candidates];
        CandOrd = new int[capacity * Candidates];
        CandCount = new int[capacity];
        MpList = new int[capacity * K];
        MpCount = new int[capacity];
        Tau = new float[capacity];
        Gate = new float[capacity];
        OccSkl = new int[capacity];
        OccMp = new int[capacity];
        Alive = new bool[capacity];
        InsertedAt = new long[capacity];
        Flags = new byte[capacity];
    }

    /// <summary>Hub flag under SKL (hysteresis state).</summary>
    public const byte HubSkl = 1;

    /// <summary>Hub flag under MP (hysteresis state).</summary>
    public const byte HubMp = 2;

    /// <summary>A suspicious-upload alert was raised for the song.</summary>
    public const byte Suspicious = 4;

    public int First { get; }

    public int Capacity { get; }

    public int Quantiles { get; }

    public int Tail { get; }

    public int Candidates { get; }

    public int K { get; }

    /// <summary>Slots used (ordinals First .. First + Used − 1 exist, alive or deleted).</summary>
    public int Used { get; set; }

    public float[] Rows { get; }

    public float[] Knots { get; }

    public float[] Counts { get; }

    public SketchHeader[] Headers { get; }

    public float[] TailDist { get; }

    public int[] TailOrd { get; }

    public int[] TailCount { get; }

    public float[] CandDist { get; }

    public float[] CandScore { get; }

    public int[] CandOrd { get; }

    public int[] CandCount { get; }

    public int[] MpList { get; }

    public int[] MpCount { get; }

    public float[] Tau { get; }

    /// <summary>Batch scratch, not state: the feed gate of each song (see CatalogueEngine.Batch).</summary>
    public float[] Gate { get; }

    public int[] OccSkl { get; }

    public int[] OccMp { get; }

    public bool[] Alive { get; }

    public long[] InsertedAt { get; }

    public byte[] Flags { get; }

    public Span<float> Row(int l) => Rows.AsSpan(l * SklPacking.Stride, SklPacking.Stride);

    public Span<float> KnotsOf(int l) => Knots.AsSpan(l * Quantiles, Quantiles);

    public Span<float> CountsOf(int l) => Counts.AsSpan(l * (Quantiles + 1), Quantiles + 1);

    /// <summary>Bytes of state per slot (arrays only).</summary>
    public static long BytesPerSlot(EngineOptions o) =>
        (SklPacking.Stride * 4L) + (o.Quantiles * 4L) + ((o.Quantiles + 1) * 4L) + System.Runtime.CompilerServices.Unsafe.SizeOf<SketchHeader>()
        + (o.Tail * 8L) + 4 + (o.Candidates * 12L) + 4 + (o.K * 4L) + 4 + 4 + 4 + 8 + 1 + 8 + 1;
}
