using OrleansHub.Grains.Distance;
using OrleansHub.Grains.Model;

namespace OrleansHub.Grains.Tests.Distance;

/// <summary>Shared helpers for the SKL kernel tests.</summary>
internal static class SklTestSupport
{
    /// <summary>Unit roundoff of float32, 2⁻²⁴.</summary>
    public const double U = 1.0 / (1 << 24);

    /// <summary>The documented constant C of |D̂ − D| ≤ C·u·M (see SklKernel remarks).</summary>
    public const double C = 36;

    /// <summary>Relative slack for the float64 reference and packing (errors of order 1e-16·M).</summary>
    public const double Float64Slack = 1e-12;

    public static readonly SklKernel.Path[] AllPaths = [SklKernel.Path.Scalar, SklKernel.Path.Vector256, SklKernel.Path.Vector512];

    /// <summary>M = ¼·Σ|Q_i·W_i| over the packed float32 vectors, in float64.</summary>
    public static double Magnitude(ReadOnlySpan<float> query, ReadOnlySpan<float> row)
    {
        double m = 0;
        for (var i = 0; i < SklPacking.Stride; i++)
        {
            m += Math.Abs((double)query[i] * row[i]);
        }

        return m / 4;
    }

    /// <summary>The bound C·u·M plus the float64 slack.</summary>
    public static double Bound(ReadOnlySpan<float> query, ReadOnlySpan<float> row)
    {
        var m = Magnitude(query, row);
        return (C * U * m) + (Float64Slack * m);
    }

    public static float[] Query(GaussianModel g, double[] centre)
    {
        var q = new float[SklPacking.Stride];
        SklPacking.PackQuery(g, centre, q);
        return q;
    }

    public static float[] Row(GaussianModel g, double[] centre)
    {
        var w = new float[SklPacking.Stride];
        SklPacking.PackRow(g, centre, w);
        return w;
    }

    /// <summary>Random packed-looking floats (not Gaussians): exercises the kernel's arithmetic on arbitrary data.</summary>
    public static float[] RandomFloats(Random random, int count)
    {
        var values = new float[count];
        for (var i = 0; i < count; i++)
        {
            values[i] = (float)((random.NextDouble() * 2) - 1) * (float)Math.Pow(10, random.Next(-3, 4));
        }

        return values;
    }
}
