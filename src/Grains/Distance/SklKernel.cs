using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace OrleansHub.Grains.Distance;

/// <summary>
/// The fast float32 SKL kernel: D(x,t) = Q_x·W_t / 4 − 10 over vectors packed by
/// <see cref="SklPacking"/> (<see cref="SklPacking.Stride"/> = 464 floats each).
/// </summary>
/// <remarks>
/// <para>
/// <b>Canonical order (bit-exact on every path).</b> A dot product is 16 lane partial sums:
/// lane l (0..15) starts at +0 and accumulates the elements l, l+16, …, l+448 in that order with
/// one fused multiply-add each (29 FMAs). The 16 lanes are folded by a fixed tree: 16→8 by
/// a_l = s_l + s_(l+8), 8→4 by b_l = a_l + a_(l+4), 4→2 by c_l = b_l + b_(l+2), 2→1 by
/// dot = c_0 + c_1. The distance is then <c>dot * 0.25f - 10f</c> (the product by 0.25 is exact,
/// so fusing it would not change the result). The Vector512 path holds the 16 lanes in one
/// register, the Vector256 path in two (lanes 0–7 and 8–15), the scalar path in 16 floats;
/// <see cref="OneToMany"/>, <see cref="ManyToMany"/> and every block size use this same order,
/// so each (query,row) pair gives the same float bits whatever path, block or caller computed
/// it (batch insert == one-by-one insert).
/// </para>
/// <para>
/// <b>Accuracy.</b> Let D be the exact SKL of the two float64 Gaussians, u = 2⁻²⁴ and
/// M = ¼·Σ_i |Q_i·W_i| over the packed vectors. Then, to first order in u,
/// |D̂ − D| ≤ 36·u·M, because: (1) each operand is rounded to float32 once, so every product
/// Q̂_i·Ŵ_i = Q_i·W_i·(1+θ), |θ| ≤ 2u (2u); (2) a product enters one lane chain of at most 29
/// FMAs, each rounding once (the product itself is exact inside the FMA), and then passes the
/// 4 additions of the folding tree, so it is perturbed by at most γ_33 ≈ 33u relative to the sum
/// of absolute terms (33u); (3) the final subtraction of 10 rounds once, relative to
/// |D̂| ≤ M (1u): since D ≥ 0, ¼·Q·W = D + 10 ≤ M. The float64 packing errors are of order 1e-16·M
/// and are absorbed. M is large (and so is the error) when the inverse covariances are large
/// and the centred means are far apart; for typical MFCC Gaussians M is a few hundred to a few
/// thousand, i.e. an absolute error of a few 1e-3 at most. The bound is a worst case: on seeded
/// random MFCC-scale, ill-conditioned (eigenvalues 1e-4..1e4) and near-singular sets the observed
/// error was at most 2.6·u·M (1.6e-4 absolute for the MFCC-scale songs).
/// </para>
/// <para>
/// Non-finite inputs propagate (NaN in, NaN out); the kernel itself never produces a NaN from
/// finite input unless a partial sum overflows float32.
/// </para>
/// </remarks>
public static class SklKernel
{
    private const int Stride = SklPacking.Stride;

    /// <summary>Rows per cache tile of <see cref="ManyToMany"/>: 256 rows · 1,856 B = 464 KiB, half of a 1 MiB L2.</summary>
    private const int RowTile = 256;

    /// <summary>
    /// Up to this many rows (512 · 1,856 B = 928 KiB, within L2) OneToMany interleaves 4 rows;
    /// measured 1.5× faster at 300 rows, and no better (sometimes worse) once rows stream from memory.
    /// </summary>
    private const int InterleaveMaxRows = 512;

    /// <summary>The code path a kernel call uses (tests force each one).</summary>
    internal enum Path
    {
        /// <summary>Plain scalar loops with MathF.FusedMultiplyAdd.</summary>
        Scalar = 0,

        /// <summary>Two Vector256 accumulators per dot, 2×2 register block.</summary>
        Vector256 = 1,

        /// <summary>One Vector512 accumulator per dot, 4×4 register block.</summary>
        Vector512 = 2,
    }

    /// <summary>The fastest path this CPU supports, used by the public methods.</summary>
    internal static Path BestPath { get; } =
        Vector512.IsHardwareAccelerated ? Path.Vector512
        : Vector256.IsHardwareAccelerated && Fma.IsSupported ? Path.Vector256
        : Path.Scalar;

    /// <summary>
    /// distances[i] = D(query, row i) for the rows.Length / <see cref="SklPacking.Stride"/> rows
    /// packed one after another in <paramref name="rows"/>. Allocation-free; bandwidth bound for
    /// large row counts. Zero rows is allowed and writes nothing.
    /// </summary>
    /// <param name="query">One packed query, exactly <see cref="SklPacking.Stride"/> floats.</param>
    /// <param name="rows">Packed rows, a multiple of <see cref="SklPacking.Stride"/> floats.</param>
    /// <param name="distances">At least one element per row; only the first rowCount are written.</param>
    /// <exception cref="ArgumentException">Any length violating the above (checked before any work).</exception>
    public static void OneToMany(ReadOnlySpan<float> query, ReadOnlySpan<float> rows, Span<float> distances) =>
        OneToManyOn(query, rows, distances, BestPath);

    /// <summary>
    /// distances[q·rowCount + r] = D(query q, row r) for every packed query and row (row-major
    /// output). Register-blocked (4 queries × 4 rows on AVX-512, 2×2 on AVX2) and cache-blocked
    /// (tiles of 256 rows stay in L2 while every query passes over them); remainders use the
    /// same canonical order, so every entry equals <see cref="OneToMany"/> bit for bit.
    /// Single-threaded and allocation-free.
    /// </summary>
    /// <param name="queries">Packed queries, a multiple of <see cref="SklPacking.Stride"/> floats.</param>
    /// <param name="rows">Packed rows, a multiple of <see cref="SklPacking.Stride"/> floats.</param>
    /// <param name="distances">At least queryCount·rowCount elements; only those are written.</param>
    /// <exception cref="ArgumentException">Any length violating the above (checked before any work).</exception>
    public static void ManyToMany(ReadOnlySpan<float> queries, ReadOnlySpan<float> rows, Span<float> distances) =>
        ManyToManyOn(queries, rows, distances, BestPath);

    /// <summary>Whether <paramref name="path"/> can run on this CPU.</summary>
    internal static bool IsSupported(Path path) => path switch
    {
        Path.Scalar => true,
        Path.Vector256 => Vector256.IsHardwareAccelerated,
        Path.Vector512 => Vector512.IsHardwareAccelerated,
        _ => false,
    };

    /// <summary><see cref="OneToMany(ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float})"/> on a forced path.</summary>
    internal static void OneToManyOn(ReadOnlySpan<float> query, ReadOnlySpan<float> rows, Span<float> distances, Path path)
    {
        if (query.Length != Stride)
        {
            throw new ArgumentException($"Query must have exactly {Stride} floats, got {query.Length}.", nameof(query));
        }

        var rowCount = RowCount(rows, nameof(rows));
        if (distances.Length < rowCount)
        {
            throw new ArgumentException($"Need {rowCount} distances, got {distances.Length}.", nameof(distances));
        }

        ThrowIfUnsupported(path);
        ref var q = ref MemoryMarshalRef(query);
        ref var w = ref MemoryMarshalRef(rows);
        ref var d = ref MemoryMarshal.GetReference(distances);
        switch (path)
        {
            case Path.Vector512:
                OneToMany512(ref q, ref w, ref d, rowCount);
                break;
            case Path.Vector256:
                for (var r = 0; r < rowCount; r++)
                {
                    Unsafe.Add(ref d, r) = Dot256(ref q, ref Unsafe.Add(ref w, r * Stride));
                }

                break;
            default:
                for (var r = 0; r < rowCount; r++)
                {
                    Unsafe.Add(ref d, r) = OneScalar(query, rows.Slice(r * Stride, Stride));
                }

                break;
        }
    }

    /// <summary><see cref="ManyToMany(ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float})"/> on a forced path.</summary>
    internal static void ManyToManyOn(ReadOnlySpan<float> queries, ReadOnlySpan<float> rows, Span<float> distances, Path path)
    {
        var queryCount = RowCount(queries, nameof(queries));
        var rowCount = RowCount(rows, nameof(rows));
        if ((long)queryCount * rowCount > distances.Length)
        {
            throw new ArgumentException($"Need {queryCount}x{rowCount} distances, got {distances.Length}.", nameof(distances));
        }

        ThrowIfUnsupported(path);
        if (queryCount == 0 || rowCount == 0)
        {
            return;
        }

        ref var q = ref MemoryMarshalRef(queries);
        ref var w = ref MemoryMarshalRef(rows);
        ref var d = ref MemoryMarshal.GetReference(distances);
        switch (path)
        {
            case Path.Vector512:
                ManyToMany512(ref q, queryCount, ref w, rowCount, ref d);
                break;
            case Path.Vector256:
                ManyToMany256(ref q, queryCount, ref w, rowCount, ref d);
                break;
            default:
                for (var i = 0; i < queryCount; i++)
                {
                    for (var r = 0; r < rowCount; r++)
                    {
                        distances[(i * rowCount) + r] = OneScalar(queries.Slice(i * Stride, Stride), rows.Slice(r * Stride, Stride));
                    }
                }

                break;
        }
    }

    /// <summary>
    /// Plain scalar reference of the packed form in the canonical order (see the type remarks):
    /// 16 lane sums of 29 MathF.FusedMultiplyAdd each, folded 16→8→4→2→1, then dot·0.25 − 10.
    /// </summary>
    internal static float OneScalar(ReadOnlySpan<float> query, ReadOnlySpan<float> row)
    {
        if (query.Length < Stride || row.Length < Stride)
        {
            throw new ArgumentException($"Query and row need {Stride} floats.", query.Length < Stride ? nameof(query) : nameof(row));
        }

        Span<float> lanes = stackalloc float[16];
        lanes.Clear();
        for (var k = 0; k < Stride; k += 16)
        {
            for (var l = 0; l < 16; l++)
            {
                lanes[l] = MathF.FusedMultiplyAdd(query[k + l], row[k + l], lanes[l]);
            }
        }

        for (var l = 0; l < 8; l++)
        {
            lanes[l] += lanes[l + 8];
        }

        for (var l = 0; l < 4; l++)
        {
            lanes[l] += lanes[l + 4];
        }

        var c0 = lanes[0] + lanes[2];
        var c1 = lanes[1] + lanes[3];
        return Finish(c0 + c1);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Finish(float dot) => (dot * 0.25f) - 10f;

    /// <summary>Folds 8 lanes (already 16→8) by the canonical tree and finishes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Fold8(Vector256<float> a)
    {
        var b = a.GetLower() + a.GetUpper();
        var c0 = b.GetElement(0) + b.GetElement(2);
        var c1 = b.GetElement(1) + b.GetElement(3);
        return Finish(c0 + c1);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Fold16(Vector512<float> s) => Fold8(s.GetLower() + s.GetUpper());

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Fold16(Vector256<float> lo, Vector256<float> hi) => Fold8(lo + hi);

    private static ref float MemoryMarshalRef(ReadOnlySpan<float> span) =>
        ref MemoryMarshal.GetReference(span);

    private static int RowCount(ReadOnlySpan<float> packed, string name)
    {
        if (packed.Length % Stride != 0)
        {
            throw new ArgumentException($"Length {packed.Length} is not a multiple of {Stride}.", name);
        }

        return packed.Length / Stride;
    }

    private static void ThrowIfUnsupported(Path path)
    {
        if (!IsSupported(path))
        {
            throw new PlatformNotSupportedException($"Kernel path {path} is not supported on this CPU.");
        }
    }

    // ---------------------------------------------------------------- Vector512

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Dot512(ref float q, ref float w)
    {
        var s = Vector512<float>.Zero;
        for (nuint k = 0; k < Stride; k += 16)
        {
            s = Vector512.FusedMultiplyAdd(Vector512.LoadUnsafe(ref q, k), Vector512.LoadUnsafe(ref w, k), s);
        }

        return Fold16(s);
    }

    /// <summary>
    /// Large row sets stream one row after another: a purely sequential stream is what the
    /// hardware prefetchers follow best (measured faster than interleaving 2 or 4 rows, which saves
    /// query loads but splits the stream). Cache-resident row sets are latency bound by the 29-FMA
    /// chain of each row instead, so there 4 rows are interleaved (independent chains).
    /// </summary>
    private static void OneToMany512(ref float q, ref float w, ref float d, int rowCount)
    {
        var r = 0;
        if (rowCount <= InterleaveMaxRows)
        {
            for (; r + 4 <= rowCount; r += 4)
            {
                ref var w0 = ref Unsafe.Add(ref w, r * Stride);
                ref var w1 = ref Unsafe.Add(ref w0, Stride);
                ref var w2 = ref Unsafe.Add(ref w0, 2 * Stride);
                ref var w3 = ref Unsafe.Add(ref w0, 3 * Stride);
                Vector512<float> s0 = default, s1 = default, s2 = default, s3 = default;
                for (nuint k = 0; k < Stride; k += 16)
                {
                    var a = Vector512.LoadUnsafe(ref q, k);
                    s0 = Vector512.FusedMultiplyAdd(a, Vector512.LoadUnsafe(ref w0, k), s0);
                    s1 = Vector512.FusedMultiplyAdd(a, Vector512.LoadUnsafe(ref w1, k), s1);
                    s2 = Vector512.FusedMultiplyAdd(a, Vector512.LoadUnsafe(ref w2, k), s2);
                    s3 = Vector512.FusedMultiplyAdd(a, Vector512.LoadUnsafe(ref w3, k), s3);
                }

                Store4(ref Unsafe.Add(ref d, r), s0, s1, s2, s3);
            }
        }

        for (; r < rowCount; r++)
        {
            Unsafe.Add(ref d, r) = Dot512(ref q, ref Unsafe.Add(ref w, r * Stride));
        }
    }

    private static void ManyToMany512(ref float q, int queryCount, ref float w, int rowCount, ref float d)
    {
        for (var r0 = 0; r0 < rowCount; r0 += RowTile)
        {
            var r1 = Math.Min(rowCount, r0 + RowTile);
            var i = 0;
            for (; i + 4 <= queryCount; i += 4)
            {
                ref var qi = ref Unsafe.Add(ref q, i * Stride);
                var r = r0;
                for (; r + 4 <= r1; r += 4)
                {
                    Block4x4(ref qi, ref Unsafe.Add(ref w, r * Stride), ref Unsafe.Add(ref d, (i * rowCount) + r), rowCount);
                }

                for (; r < r1; r++)
                {
                    ref var wr = ref Unsafe.Add(ref w, r * Stride);
                    for (var j = 0; j < 4; j++)
                    {
                        Unsafe.Add(ref d, ((i + j) * rowCount) + r) = Dot512(ref Unsafe.Add(ref qi, j * Stride), ref wr);
                    }
                }
            }

            for (; i < queryCount; i++)
            {
                OneToMany512(ref Unsafe.Add(ref q, i * Stride), ref Unsafe.Add(ref w, r0 * Stride), ref Unsafe.Add(ref d, (i * rowCount) + r0), r1 - r0);
            }
        }
    }

    /// <summary>4 queries × 4 rows, 16 zmm accumulators, 8 loads per 16 FMAs.</summary>
    private static void Block4x4(ref float q0, ref float w0, ref float d, int ld)
    {
        ref var q1 = ref Unsafe.Add(ref q0, Stride);
        ref var q2 = ref Unsafe.Add(ref q0, 2 * Stride);
        ref var q3 = ref Unsafe.Add(ref q0, 3 * Stride);
        ref var w1 = ref Unsafe.Add(ref w0, Stride);
        ref var w2 = ref Unsafe.Add(ref w0, 2 * Stride);
        ref var w3 = ref Unsafe.Add(ref w0, 3 * Stride);
        Vector512<float> s00 = default, s01 = default, s02 = default, s03 = default;
        Vector512<float> s10 = default, s11 = default, s12 = default, s13 = default;
        Vector512<float> s20 = default, s21 = default, s22 = default, s23 = default;
        Vector512<float> s30 = default, s31 = default, s32 = default, s33 = default;
        for (nuint k = 0; k < Stride; k += 16)
        {
            var a0 = Vector512.LoadUnsafe(ref q0, k);
            var a1 = Vector512.LoadUnsafe(ref q1, k);
            var a2 = Vector512.LoadUnsafe(ref q2, k);
            var a3 = Vector512.LoadUnsafe(ref q3, k);
            var b = Vector512.LoadUnsafe(ref w0, k);
            s00 = Vector512.FusedMultiplyAdd(a0, b, s00);
            s10 = Vector512.FusedMultiplyAdd(a1, b, s10);
            s20 = Vector512.FusedMultiplyAdd(a2, b, s20);
            s30 = Vector512.FusedMultiplyAdd(a3, b, s30);
            b = Vector512.LoadUnsafe(ref w1, k);
            s01 = Vector512.FusedMultiplyAdd(a0, b, s01);
            s11 = Vector512.FusedMultiplyAdd(a1, b, s11);
            s21 = Vector512.FusedMultiplyAdd(a2, b, s21);
            s31 = Vector512.FusedMultiplyAdd(a3, b, s31);
            b = Vector512.LoadUnsafe(ref w2, k);
            s02 = Vector512.FusedMultiplyAdd(a0, b, s02);
            s12 = Vector512.FusedMultiplyAdd(a1, b, s12);
            s22 = Vector512.FusedMultiplyAdd(a2, b, s22);
            s32 = Vector512.FusedMultiplyAdd(a3, b, s32);
            b = Vector512.LoadUnsafe(ref w3, k);
            s03 = Vector512.FusedMultiplyAdd(a0, b, s03);
            s13 = Vector512.FusedMultiplyAdd(a1, b, s13);
            s23 = Vector512.FusedMultiplyAdd(a2, b, s23);
            s33 = Vector512.FusedMultiplyAdd(a3, b, s33);
        }

        Store4(ref d, s00, s01, s02, s03);
        Store4(ref Unsafe.Add(ref d, ld), s10, s11, s12, s13);
        Store4(ref Unsafe.Add(ref d, 2 * ld), s20, s21, s22, s23);
        Store4(ref Unsafe.Add(ref d, 3 * ld), s30, s31, s32, s33);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store4(ref float d, Vector512<float> s0, Vector512<float> s1, Vector512<float> s2, Vector512<float> s3)
    {
        d = Fold16(s0);
        Unsafe.Add(ref d, 1) = Fold16(s1);
        Unsafe.Add(ref d, 2) = Fold16(s2);
        Unsafe.Add(ref d, 3) = Fold16(s3);
    }

    // ---------------------------------------------------------------- Vector256

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Dot256(ref float q, ref float w)
    {
        var lo = Vector256<float>.Zero;
        var hi = Vector256<float>.Zero;
        for (nuint k = 0; k < Stride; k += 16)
        {
            lo = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref q, k), Vector256.LoadUnsafe(ref w, k), lo);
            hi = Vector256.FusedMultiplyAdd(Vector256.LoadUnsafe(ref q, k + 8), Vector256.LoadUnsafe(ref w, k + 8), hi);
        }

        return Fold16(lo, hi);
    }

    private static void ManyToMany256(ref float q, int queryCount, ref float w, int rowCount, ref float d)
    {
        for (var r0 = 0; r0 < rowCount; r0 += RowTile)
        {
            var r1 = Math.Min(rowCount, r0 + RowTile);
            var i = 0;
            for (; i + 2 <= queryCount; i += 2)
            {
                ref var qi = ref Unsafe.Add(ref q, i * Stride);
                var r = r0;
                for (; r + 2 <= r1; r += 2)
                {
                    Block2x2(ref qi, ref Unsafe.Add(ref w, r * Stride), ref Unsafe.Add(ref d, (i * rowCount) + r), rowCount);
                }

                for (; r < r1; r++)
                {
                    ref var wr = ref Unsafe.Add(ref w, r * Stride);
                    Unsafe.Add(ref d, (i * rowCount) + r) = Dot256(ref qi, ref wr);
                    Unsafe.Add(ref d, ((i + 1) * rowCount) + r) = Dot256(ref Unsafe.Add(ref qi, Stride), ref wr);
                }
            }

            for (; i < queryCount; i++)
            {
                ref var qi = ref Unsafe.Add(ref q, i * Stride);
                for (var r = r0; r < r1; r++)
                {
                    Unsafe.Add(ref d, (i * rowCount) + r) = Dot256(ref qi, ref Unsafe.Add(ref w, r * Stride));
                }
            }
        }
    }

    /// <summary>2 queries × 2 rows, 8 ymm accumulators (lanes 0–7 and 8–15 of each pair).</summary>
    private static void Block2x2(ref float q0, ref float w0, ref float d, int ld)
    {
        ref var q1 = ref Unsafe.Add(ref q0, Stride);
        ref var w1 = ref Unsafe.Add(ref w0, Stride);
        Vector256<float> l00 = default, l01 = default, l10 = default, l11 = default;
        Vector256<float> h00 = default, h01 = default, h10 = default, h11 = default;
        for (nuint k = 0; k < Stride; k += 16)
        {
            var a0 = Vector256.LoadUnsafe(ref q0, k);
            var a1 = Vector256.LoadUnsafe(ref q1, k);
            var b0 = Vector256.LoadUnsafe(ref w0, k);
            var b1 = Vector256.LoadUnsafe(ref w1, k);
            l00 = Vector256.FusedMultiplyAdd(a0, b0, l00);
            l01 = Vector256.FusedMultiplyAdd(a0, b1, l01);
            l10 = Vector256.FusedMultiplyAdd(a1, b0, l10);
            l11 = Vector256.FusedMultiplyAdd(a1, b1, l11);
            a0 = Vector256.LoadUnsafe(ref q0, k + 8);
            a1 = Vector256.LoadUnsafe(ref q1, k + 8);
            b0 = Vector256.LoadUnsafe(ref w0, k + 8);
            b1 = Vector256.LoadUnsafe(ref w1, k + 8);
            h00 = Vector256.FusedMultiplyAdd(a0, b0, h00);
            h01 = Vector256.FusedMultiplyAdd(a0, b1, h01);
            h10 = Vector256.FusedMultiplyAdd(a1, b0, h10);
            h11 = Vector256.FusedMultiplyAdd(a1, b1, h11);
        }

        d = Fold16(l00, h00);
        Unsafe.Add(ref d, 1) = Fold16(l01, h01);
        Unsafe.Add(ref d, ld) = Fold16(l10, h10);
        Unsafe.Add(ref d, ld + 1) = Fold16(l11, h11);
    }
}
