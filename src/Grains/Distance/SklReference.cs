using OrleansHub.Grains.Model;

namespace OrleansHub.Grains.Distance;

/// <summary>
/// Plain float64 symmetrised Kullback-Leibler divergence between two Gaussians (SPEC §1), the
/// reference every fast kernel is tested against.
/// </summary>
public static class SklReference
{
    /// <summary>
    /// D_SKL(x,t) = ¼·[tr(Σt⁻¹Σx) + tr(Σx⁻¹Σt) + (μx−μt)ᵀ(Σx⁻¹+Σt⁻¹)(μx−μt)] − d/2.
    /// </summary>
    /// <remarks>
    /// Straight loops in float64, no cancellation-prone expansion: the Mahalanobis term is formed
    /// from the mean difference. Symmetric in its arguments up to rounding; 0 (to rounding) for
    /// identical Gaussians; non-negative in exact arithmetic.
    /// </remarks>
    public static double Distance(GaussianModel x, GaussianModel t)
    {
        const int d = GaussianModel.Dimension;
        var sx = x.Covariance;
        var st = t.Covariance;
        var ix = x.InverseCovariance;
        var it = t.InverseCovariance;
        var mx = x.Mean;
        var mt = t.Mean;

        double trace1 = 0, trace2 = 0, maha = 0;
        for (var i = 0; i < d; i++)
        {
            for (var j = 0; j < d; j++)
            {
                // tr(AB) for symmetric A, B is the sum of the elementwise product.
                trace1 += it[(i * d) + j] * sx[(j * d) + i];
                trace2 += ix[(i * d) + j] * st[(j * d) + i];
                maha += (mx[i] - mt[i]) * (ix[(i * d) + j] + it[(i * d) + j]) * (mx[j] - mt[j]);
            }
        }

        return (0.25 * (trace1 + trace2 + maha)) - (d / 2.0);
    }
}
