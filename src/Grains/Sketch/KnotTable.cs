using System.Runtime.CompilerServices;

namespace OrleansHub.Grains.Sketch;

/// <summary>
/// Bucket search for many values against one set of sorted knots, by a table over the top 16 bits
/// of non-negative float32 values (their bit patterns are ordered like the values): a value whose
/// 16-bit bin holds no knot has the bucket of the bin, read from the table; a value in a bin that
/// holds a knot, a negative value or NaN falls back to <see cref="SketchOps.Bucket"/>. The same
/// result as <see cref="SketchOps.Bucket"/> for every value. Building costs one 64 KB fill, so it
/// pays off for a catalogue's full row (an inserted song's sketch), not for a single probe.
/// </summary>
internal sealed class KnotTable
{
    private const int Bins = 1 << 15;
    private readonly ushort[] _bucket = new ushort[Bins];
    private readonly bool[] _mixed = new bool[Bins];
    private float[] _knots = [];
    private bool _usable;

    /// <summary>Prepares the table for sorted knots (at most 65,535 of them).</summary>
    public void Build(ReadOnlySpan<float> knots)
    {
        foreach (var k in _knots)
        {
            if (Bin(k) is var b and >= 0)
            {
                _mixed[b] = false;
            }
        }

        _knots = knots.ToArray();
        _usable = knots.Length < ushort.MaxValue;
        foreach (var k in knots)
        {
            _usable &= Bin(k) >= 0;
        }

        if (!_usable)
        {
            return;
        }

        // Bin b gets the number of knots in lower bins; bins holding a knot are flagged.
        for (var j = 1; j < knots.Length; j++)
        {
            if (!(knots[j - 1] <= knots[j]))
            {
                _usable = false;
                return;
            }
        }

        var from = 0;
        for (var j = 0; j < knots.Length; j++)
        {
            var b = Bin(knots[j]);
            _bucket.AsSpan(from, b + 1 - from).Fill((ushort)j);
            from = b + 1;
            _mixed[b] = true;
        }

        _bucket.AsSpan(from).Fill((ushort)knots.Length);
    }

    /// <summary>The number of knots &lt; v.</summary>
    public int Bucket(float v) => Lookup(_bucket, _mixed, _usable, _knots, v);

    /// <summary>Adds to <paramref name="counts"/> (Q + 1 entries) the bucket of every value whose <paramref name="alive"/> flag is set, NaN skipped.</summary>
    public void Count(ReadOnlySpan<float> values, ReadOnlySpan<bool> alive, Span<int> counts)
    {
        // The table and flags in locals: the loop reads no field.
        var bucket = _bucket.AsSpan();
        var mixed = _mixed.AsSpan();
        var usable = _usable;
        var knots = _knots;
        for (var j = 0; j < values.Length; j++)
        {
            var v = values[j];
            if (alive[j] && !float.IsNaN(v))
            {
                counts[Lookup(bucket, mixed, usable, knots, v)]++;
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Lookup(ReadOnlySpan<ushort> bucket, ReadOnlySpan<bool> mixed, bool usable, float[] knots, float v)
    {
        var b = Bin(v);
        return usable && b >= 0 && !mixed[b] ? bucket[b] : SketchOps.Bucket(knots, v);
    }

    // Bin of a non-negative finite value (+0 included); −1 for negative values, −0 and NaN.
    private static int Bin(float v)
    {
        var bits = BitConverter.SingleToUInt32Bits(v);
        return bits < 0x7F80_0001u ? (int)(bits >> 16) : -1;
    }
}
