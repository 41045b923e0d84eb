using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace OrleansHub.Grains.Sketch;

/// <summary>
/// Buckets of many values against one set of at most 64 sorted knots, 16 values at a time: a
/// branch-free binary search whose probes are AVX-512 two-table permutes of the knots held in four
/// registers (padded with +∞, which no finite value exceeds). The same result as
/// <see cref="SketchOps.Bucket"/> (the number of knots &lt; v) for every value, NaN included;
/// unsorted knots, more than 64 knots or a machine without AVX-512 take that scalar path.
/// </summary>
/// <remarks>
/// The per-value cost is about three vector instructions, against a scan of every knot per value:
/// <see cref="SketchOps.AddRange"/> (a batch's catch-up of a sketch) uses it for runs of 16 or more
/// values. An inserted song's full-row sketch uses <see cref="KnotTable"/> instead.
/// </remarks>
[SkipLocalsInit]
internal ref struct BucketSearch
{
    /// <summary>Largest number of knots the vector path takes.</summary>
    public const int MaxKnots = 64;

    private readonly ReadOnlySpan<float> _knots;
    private readonly bool _vector;
    private readonly Vector512<float> _k0;
    private readonly Vector512<float> _k1;
    private readonly Vector512<float> _k2;
    private readonly Vector512<float> _k3;

    /// <summary>Prepares a search over <paramref name="knots"/> (checks that they are sorted).</summary>
    public BucketSearch(ReadOnlySpan<float> knots)
    {
        _knots = knots;
        if (!Avx512F.IsSupported || knots.Length > MaxKnots)
        {
            return;
        }

        Span<float> padded = stackalloc float[MaxKnots + 16];
        padded.Fill(float.PositiveInfinity);
        knots.CopyTo(padded);
        ref var start = ref MemoryMarshal.GetReference(padded);
        _k0 = Vector512.LoadUnsafe(ref start, 0);
        _k1 = Vector512.LoadUnsafe(ref start, 16);
        _k2 = Vector512.LoadUnsafe(ref start, 32);
        _k3 = Vector512.LoadUnsafe(ref start, 48);

        // Sorted: knot i ≤ knot i + 1 for every i (the +∞ padding is ≤ itself); NaN fails the test.
        var sorted = Vector512.LessThanOrEqual(_k0, Vector512.LoadUnsafe(ref start, 1))
            & Vector512.LessThanOrEqual(_k1, Vector512.LoadUnsafe(ref start, 17))
            & Vector512.LessThanOrEqual(_k2, Vector512.LoadUnsafe(ref start, 33))
            & Vector512.LessThanOrEqual(_k3, Vector512.LoadUnsafe(ref start, 49));
        if (sorted.ExtractMostSignificantBits() != 0xFFFFu)
        {
            return;
        }

        _vector = true;
    }

    /// <summary>True when the vector path is in use (tests).</summary>
    public readonly bool IsVectorised => _vector;

    /// <summary>Writes the bucket (number of knots &lt; v) of every value.</summary>
    public readonly void Buckets(ReadOnlySpan<float> values, Span<int> buckets)
    {
        if (buckets.Length < values.Length)
        {
            throw new ArgumentException("One bucket slot per value is needed.", nameof(buckets));
        }

        var i = 0;
        if (_vector)
        {
            // Knots and the two broadcast probes in locals, so that the loop keeps them in registers.
            var (k0, k1, k2, k3) = (_k0, _k1, _k2, _k3);
            var k31 = Vector512.Create(k1.GetElement(15));
            var k63 = Vector512.Create(k3.GetElement(15));
            ref var v0 = ref MemoryMarshal.GetReference(values);
            ref var b0 = ref MemoryMarshal.GetReference(buckets);
            for (; i + 16 <= values.Length; i += 16)
            {
                Search(Vector512.LoadUnsafe(ref v0, (nuint)i), k0, k1, k2, k3, k31, k63).StoreUnsafe(ref b0, (nuint)i);
            }

            if (i < values.Length)
            {
                Span<float> rest = stackalloc float[16];
                Span<int> found = stackalloc int[16];
                values[i..].CopyTo(rest);
                Search(Vector512.LoadUnsafe(ref MemoryMarshal.GetReference(rest)), k0, k1, k2, k3, k31, k63).StoreUnsafe(ref MemoryMarshal.GetReference(found));
                found[..(values.Length - i)].CopyTo(buckets[i..]);
            }

            return;
        }

        for (; i < values.Length; i++)
        {
            buckets[i] = SketchOps.Bucket(_knots, values[i]);
        }
    }

    /// <summary>
    /// Number of knots &lt; v per lane: p grows by 32, 16, …, 1 while knot p + step − 1 is below v
    /// (knots 0..63, read by permutes of the four knot registers), then by one if knot 63 is.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<int> Search(Vector512<float> v, Vector512<float> k0, Vector512<float> k1, Vector512<float> k2, Vector512<float> k3, Vector512<float> k31, Vector512<float> k63)
    {
        var p = Vector512.LessThan(k31, v).AsInt32() & Vector512.Create(32);
        p = Step(p, v, 16, k0, k1, k2, k3);
        p = Step(p, v, 8, k0, k1, k2, k3);
        p = Step(p, v, 4, k0, k1, k2, k3);
        p = Step(p, v, 2, k0, k1, k2, k3);
        p = Step(p, v, 1, k0, k1, k2, k3);
        return p - Vector512.LessThan(k63, v).AsInt32();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<int> Step(Vector512<int> p, Vector512<float> v, int step, Vector512<float> k0, Vector512<float> k1, Vector512<float> k2, Vector512<float> k3)
    {
        var index = p + Vector512.Create(step - 1);
        var low = Avx512F.PermuteVar16x32x2(k0, index, k1);
        var high = Avx512F.PermuteVar16x32x2(k2, index, k3);
        var upper = Vector512.GreaterThan(index, Vector512.Create(31));
        var probe = Vector512.ConditionalSelect(upper.AsSingle(), high, low);
        return p + (Vector512.LessThan(probe, v).AsInt32() & Vector512.Create(step));
    }
}
