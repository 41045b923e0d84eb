using System.Numerics;
using OrleansHub.Grains.Model;

namespace OrleansHub.Grains.Distance;

/// <summary>
/// Packs Gaussians into the float32 vectors of the fast SKL kernel (<see cref="SklKernel"/>):
/// a per-song row W and a per-query vector Q with D_SKL(x,t) = Q_x·W_t / 4 − d/2.
/// </summary>
/// <remarks>
/// <para>
/// With I = Σ⁻¹, S = Σ + μμᵀ, η = Σ⁻¹μ, c = μᵀΣ⁻¹μ and ⟨A,B⟩ = Σ_ij A_ij·B_ij, expanding the
/// Mahalanobis term of SPEC §1 gives
/// 4·D_SKL(x,t) + 2d = ⟨I_x, S_t⟩ + ⟨I_t, S_x⟩ − 2·η_x·μ_t − 2·μ_x·η_t + c_x + c_t.
/// </para>
/// <para>
/// SKL is invariant under translating every mean by the same vector, so means are first
/// centred by a fixed catalogue centre m0 (μ ← μ − m0, see <see cref="Centre"/>); this keeps
/// c and the entries of S small and so cuts float32 cancellation. All rows and queries that
/// are compared must use the same centre.
/// </para>
/// <para>
/// Layout (<see cref="Stride"/> = 464 = 29·16 floats; "upper" = upper triangle incl. the
/// diagonal, row by row, 210 values):
/// row W_t = [ I_t upper | S_t upper | η_t (20) | μ_t (20) | c_t | 1 | 0 | 0 ];
/// query Q_x = [ S_x upper ∘ w | I_x upper ∘ w | −2μ_x (20) | −2η_x (20) | 1 | c_x | 0 | 0 ]
/// with w = 1 on the diagonal and 2 off it. η, c, S and the products are computed in float64
/// and rounded to float32 once.
/// </para>
/// </remarks>
public static class SklPacking
{
    /// <summary>Floats per packed row or query (29 vectors of 16 floats).</summary>
    public const int Stride = 464;

    /// <summary>Length of a packed upper triangle including the diagonal (d·(d+1)/2).</summary>
    internal const int TriangleLength = D * (D + 1) / 2;

    /// <summary>Offset of the second packed triangle.</summary>
    internal const int SecondTriangle = TriangleLength;

    /// <summary>Offset of the first 20-vector block.</summary>
    internal const int FirstVector = 2 * TriangleLength;

    /// <summary>Offset of the second 20-vector block.</summary>
    internal const int SecondVector = FirstVector + D;

    /// <summary>Offset of the two scalar slots (then two zero pads).</summary>
    internal const int Scalars = SecondVector + D;

    private const int D = GaussianModel.Dimension;

    /// <summary>
    /// The catalogue centre m0: the arithmetic mean of the songs' mean vectors (normaliser n).
    /// </summary>
    /// <param name="songs">The catalogue; may be empty.</param>
    /// <returns>A new array of length 20; all zeros for an empty catalogue.</returns>
    public static double[] Centre(IReadOnlyList<GaussianModel> songs)
    {
        ArgumentNullException.ThrowIfNull(songs);
        var centre = new double[D];
        if (songs.Count == 0)
        {
            return centre;
        }

        foreach (var song in songs)
        {
            var mean = song.Mean;
            for (var i = 0; i < D; i++)
            {
                centre[i] += mean[i];
            }
        }

        for (var i = 0; i < D; i++)
        {
            centre[i] /= songs.Count;
        }

        return centre;
    }

    /// <summary>Packs the stored row W_t of a song (layout on the type) into the first <see cref="Stride"/> floats of <paramref name="row"/>.</summary>
    /// <param name="g">The song's Gaussian.</param>
    /// <param name="centre">Catalogue centre m0, length 20.</param>
    /// <param name="row">Destination, length at least <see cref="Stride"/>.</param>
    /// <exception cref="ArgumentException">Wrong centre length or a destination shorter than <see cref="Stride"/>.</exception>
    public static void PackRow(GaussianModel g, ReadOnlySpan<double> centre, Span<float> row)
    {
        ArgumentNullException.ThrowIfNull(g);
        if (row.Length < Stride)
        {
            throw new ArgumentException($"Row needs at least {Stride} floats, got {row.Length}.", nameof(row));
        }

        Span<double> packed = stackalloc double[Stride];
        PackRowExact(g, centre, packed);
        Round(packed, row);
    }

    /// <summary>Packs the query vector Q_x of a song (layout on the type) into the first <see cref="Stride"/> floats of <paramref name="query"/>.</summary>
    /// <param name="g">The song's Gaussian.</param>
    /// <param name="centre">Catalogue centre m0, length 20.</param>
    /// <param name="query">Destination, length at least <see cref="Stride"/>.</param>
    /// <exception cref="ArgumentException">Wrong centre length or a destination shorter than <see cref="Stride"/>.</exception>
    public static void PackQuery(GaussianModel g, ReadOnlySpan<double> centre, Span<float> query)
    {
        ArgumentNullException.ThrowIfNull(g);
        if (query.Length < Stride)
        {
            throw new ArgumentException($"Query needs at least {Stride} floats, got {query.Length}.", nameof(query));
        }

        Span<double> packed = stackalloc double[Stride];
        PackQueryExact(g, centre, packed);
        Round(packed, query);
    }

    /// <summary>Packs every song's row, song i at offset i·<see cref="Stride"/>.</summary>
    /// <returns>A new array of length songs.Count·<see cref="Stride"/> (empty for no songs).</returns>
    /// <exception cref="ArgumentException">Wrong centre length.</exception>
    public static float[] PackRows(IReadOnlyList<GaussianModel> songs, ReadOnlySpan<double> centre)
    {
        ArgumentNullException.ThrowIfNull(songs);
        ValidateCentre(centre);
        var rows = new float[songs.Count * Stride];
        for (var i = 0; i < songs.Count; i++)
        {
            PackRow(songs[i], centre, rows.AsSpan(i * Stride, Stride));
        }

        return rows;
    }

    /// <summary>Packs every song's query vector, song i at offset i·<see cref="Stride"/>.</summary>
    /// <returns>A new array of length songs.Count·<see cref="Stride"/> (empty for no songs).</returns>
    /// <exception cref="ArgumentException">Wrong centre length.</exception>
    public static float[] PackQueries(IReadOnlyList<GaussianModel> songs, ReadOnlySpan<double> centre)
    {
        ArgumentNullException.ThrowIfNull(songs);
        ValidateCentre(centre);
        var queries = new float[songs.Count * Stride];
        for (var i = 0; i < songs.Count; i++)
        {
            PackQuery(songs[i], centre, queries.AsSpan(i * Stride, Stride));
        }

        return queries;
    }

    /// <summary>The row W_t in float64, before the single rounding to float32 (used by tests).</summary>
    internal static void PackRowExact(GaussianModel g, ReadOnlySpan<double> centre, Span<double> row)
    {
        ValidateCentre(centre);
        Span<double> mu = stackalloc double[D];
        Span<double> eta = stackalloc double[D];
        var c = Moments(g, centre, mu, eta);
        var inv = g.InverseCovariance;
        var cov = g.Covariance;

        var k = 0;
        for (var i = 0; i < D; i++)
        {
            for (var j = i; j < D; j++, k++)
            {
                row[k] = inv[(i * D) + j];
                row[SecondTriangle + k] = cov[(i * D) + j] + (mu[i] * mu[j]);
            }
        }

        for (var i = 0; i < D; i++)
        {
            row[FirstVector + i] = eta[i];
            row[SecondVector + i] = mu[i];
        }

        row[Scalars] = c;
        row[Scalars + 1] = 1;
        row[Scalars + 2] = 0;
        row[Scalars + 3] = 0;
    }

    /// <summary>The query Q_x in float64, before the single rounding to float32 (used by tests).</summary>
    internal static void PackQueryExact(GaussianModel g, ReadOnlySpan<double> centre, Span<double> query)
    {
        Span<double> row = stackalloc double[Stride];
        PackRowExact(g, centre, row);
        QueryFromRow<double>(row, query);
    }

    /// <summary>
    /// Derives a song's query Q from its packed row W: the two triangles swap and off-diagonal
    /// entries double, the two vectors swap and scale by −2, the scalars c and 1 swap. Scaling by
    /// 1, 2 or −2 is exact in binary floating point, so in float32 this gives the same bits as
    /// <see cref="PackQuery"/> (an engine that stores only rows derives queries from them).
    /// </summary>
    /// <param name="row">A packed row, at least <see cref="Stride"/> values.</param>
    /// <param name="query">Destination, at least <see cref="Stride"/> values.</param>
    public static void QueryFromRow<T>(ReadOnlySpan<T> row, Span<T> query)
        where T : IFloatingPointIeee754<T>
    {
        if (row.Length < Stride || query.Length < Stride)
        {
            throw new ArgumentException($"Row and query need at least {Stride} values, got {row.Length} and {query.Length}.");
        }

        var two = T.One + T.One;
        var k = 0;
        for (var i = 0; i < D; i++)
        {
            for (var j = i; j < D; j++, k++)
            {
                // Off-diagonal entries stand for both (i,j) and (j,i).
                var w = i == j ? T.One : two;
                query[k] = w * row[SecondTriangle + k];
                query[SecondTriangle + k] = w * row[k];
            }
        }

        for (var i = 0; i < D; i++)
        {
            query[FirstVector + i] = -two * row[SecondVector + i];
            query[SecondVector + i] = -two * row[FirstVector + i];
        }

        query[Scalars] = row[Scalars + 1];
        query[Scalars + 1] = row[Scalars];
        query[Scalars + 2] = T.Zero;
        query[Scalars + 3] = T.Zero;
    }

    /// <summary>Centred mean μ − m0, η = Σ⁻¹μ and returns c = μᵀη, all float64.</summary>
    private static double Moments(GaussianModel g, ReadOnlySpan<double> centre, Span<double> mu, Span<double> eta)
    {
        var mean = g.Mean;
        var inv = g.InverseCovariance;
        for (var i = 0; i < D; i++)
        {
            mu[i] = mean[i] - centre[i];
        }

        double c = 0;
        for (var i = 0; i < D; i++)
        {
            double s = 0;
            for (var j = 0; j < D; j++)
            {
                s += inv[(i * D) + j] * mu[j];
            }

            eta[i] = s;
            c += mu[i] * s;
        }

        return c;
    }

    private static void Round(ReadOnlySpan<double> source, Span<float> destination)
    {
        for (var i = 0; i < Stride; i++)
        {
            destination[i] = (float)source[i];
        }
    }

    private static void ValidateCentre(ReadOnlySpan<double> centre)
    {
        if (centre.Length != D)
        {
            throw new ArgumentException($"Centre must have {D} values, got {centre.Length}.", nameof(centre));
        }
    }
}
