using System.Buffers;
using OrleansHub.Grains.Model;

namespace OrleansHub.Grains.Distance;

/// <summary>
/// Whole-catalogue and streaming-insert distance computations on top of <see cref="SklKernel"/>,
/// in the canonical orientation of a streaming catalogue: a song is always the query against
/// the songs inserted before it.
/// </summary>
public static class SklMatrix
{
    /// <summary>Queries per parallel work item of <see cref="AllPairs"/>.</summary>
    private const int QueryBlock = 64;

    /// <summary>
    /// Symmetric n×n matrix (row-major) of the fast kernel's float32 distances widened to
    /// double: d(i,j) = d(j,i) = kernel(query = max(i,j), row = min(i,j)), i.e. the later song
    /// against the earlier one, exactly as a streaming insert computes it; the diagonal is
    /// exactly 0. Songs are centred by <see cref="SklPacking.Centre"/> of this list.
    /// </summary>
    /// <param name="songs">The catalogue in insertion order; may be empty (returns an empty array).</param>
    /// <param name="maxDegreeOfParallelism">Threads for <see cref="Parallel.For(int, int, ParallelOptions, Action{int})"/>: −1 for no limit, or positive. The result does not depend on it.</param>
    /// <returns>A new array of n·n values.</returns>
    /// <remarks>
    /// Work is split into blocks of 64 later songs, each computed with
    /// <see cref="SklKernel.ManyToMany"/> against all earlier songs; the largest blocks start first.
    /// Every entry is one kernel evaluation in the kernel's canonical order, so the result is
    /// bit-identical for any degree of parallelism and equal to <see cref="SklKernel.OneToMany"/>.
    /// Accuracy is that of the kernel (see <see cref="SklKernel"/>). Memory is n² doubles (80 MB
    /// at n = 3,162), so this is for evaluation-sized catalogues; a streaming engine uses
    /// <see cref="EarlierRow"/> per insert instead.
    /// </remarks>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxDegreeOfParallelism"/> is 0 or below −1.</exception>
    public static double[] AllPairs(IReadOnlyList<GaussianModel> songs, int maxDegreeOfParallelism = -1)
    {
        ArgumentNullException.ThrowIfNull(songs);
        if (maxDegreeOfParallelism == 0 || maxDegreeOfParallelism < -1)
        {
            throw new ArgumentOutOfRangeException(nameof(maxDegreeOfParallelism), maxDegreeOfParallelism, "Use -1 (no limit) or a positive number.");
        }

        var n = songs.Count;
        var result = new double[n * n];
        if (n < 2)
        {
            return result;
        }

        var centre = SklPacking.Centre(songs);
        var rows = SklPacking.PackRows(songs, centre);
        var queries = SklPacking.PackQueries(songs, centre);
        var blocks = (n + QueryBlock - 1) / QueryBlock;
        var options = new ParallelOptions { MaxDegreeOfParallelism = maxDegreeOfParallelism };
        Parallel.For(0, blocks, options, b =>
        {
            // Later blocks have more earlier songs: start with them for a better balance.
            var block = blocks - 1 - b;
            var q0 = block * QueryBlock;
            var q1 = Math.Min(n, q0 + QueryBlock);
            var rowCount = q1 - 1;
            if (rowCount <= 0)
            {
                return;
            }

            var queryCount = q1 - q0;
            var scratch = ArrayPool<float>.Shared.Rent(queryCount * rowCount);
            try
            {
                SklKernel.ManyToMany(
                    queries.AsSpan(q0 * SklPacking.Stride, queryCount * SklPacking.Stride),
                    rows.AsSpan(0, rowCount * SklPacking.Stride),
                    scratch);
                for (var q = q0; q < q1; q++)
                {
                    var line = scratch.AsSpan((q - q0) * rowCount, rowCount);
                    for (var r = 0; r < q; r++)
                    {
                        double v = line[r];
                        result[(q * n) + r] = v;
                        result[(r * n) + q] = v;
                    }
                }
            }
            finally
            {
                ArrayPool<float>.Shared.Return(scratch);
            }
        });

        return result;
    }

    /// <summary>
    /// The streaming-insert row of song <paramref name="i"/>: distances[j] = kernel(query i, row j)
    /// for the earlier songs j = 0..i−1.
    /// </summary>
    /// <param name="queries">Packed queries of at least songs 0..i (i.e. ≥ (i+1)·<see cref="SklPacking.Stride"/> floats).</param>
    /// <param name="rows">Packed rows of at least songs 0..i−1.</param>
    /// <param name="i">Index of the inserted song, ≥ 0.</param>
    /// <param name="distances">Exactly <paramref name="i"/> elements.</param>
    /// <exception cref="ArgumentException">Negative index or spans too short / of the wrong length.</exception>
    public static void EarlierRow(ReadOnlySpan<float> queries, ReadOnlySpan<float> rows, int i, Span<float> distances)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(i);
        if (queries.Length < (long)(i + 1) * SklPacking.Stride)
        {
            throw new ArgumentException($"Queries must hold song {i}: need {(long)(i + 1) * SklPacking.Stride} floats, got {queries.Length}.", nameof(queries));
        }

        if (rows.Length < (long)i * SklPacking.Stride)
        {
            throw new ArgumentException($"Rows must hold songs 0..{i - 1}: need {(long)i * SklPacking.Stride} floats, got {rows.Length}.", nameof(rows));
        }

        if (distances.Length != i)
        {
            throw new ArgumentException($"Distances must have exactly {i} elements, got {distances.Length}.", nameof(distances));
        }

        SklKernel.OneToMany(queries.Slice(i * SklPacking.Stride, SklPacking.Stride), rows[..(i * SklPacking.Stride)], distances);
    }
}
