using FluentAssertions;
using MathNet.Numerics.LinearAlgebra;
using OrleansHub.Grains.Distance;
using OrleansHub.Grains.Model;

namespace OrleansHub.Grains.Tests.Model;

public sealed class GaussianModelTests
{
    private const int D = GaussianModel.Dimension;

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void SymmetricEigen_RandomSymmetric_MatchesMathNetEigenvalues(int seed)
    {
        // Tolerance 1e-10 relative to the largest eigenvalue: Jacobi is backward stable to a few ulps of ‖A‖.
        var rng = new Random(seed);
        var a = new double[D * D];
        for (var i = 0; i < D; i++)
        {
            for (var j = 0; j <= i; j++)
            {
                a[(i * D) + j] = a[(j * D) + i] = (rng.NextDouble() - 0.5) * Math.Pow(10, rng.Next(-3, 4));
            }
        }

        var values = new double[D];
        var vectors = new double[D * D];
        SymmetricEigen.Decompose(a, D, values, vectors);

        var expected = Matrix<double>.Build.DenseOfRowMajor(D, D, a).Evd(MathNet.Numerics.LinearAlgebra.Symmetricity.Symmetric).EigenValues.Select(c => c.Real).OrderBy(v => v).ToArray();
        var scale = expected.Max(Math.Abs);
        values.OrderBy(v => v).Zip(expected).Should().OnlyContain(p => Math.Abs(p.First - p.Second) <= 1e-10 * scale);

        // V·diag(λ)·Vᵀ reproduces A and V is orthogonal.
        for (var i = 0; i < D; i++)
        {
            for (var j = 0; j < D; j++)
            {
                double rebuilt = 0, identity = 0;
                for (var m = 0; m < D; m++)
                {
                    rebuilt += vectors[(i * D) + m] * values[m] * vectors[(j * D) + m];
                    identity += vectors[(m * D) + i] * vectors[(m * D) + j];
                }

                rebuilt.Should().BeApproximately(a[(i * D) + j], 1e-10 * scale);
                identity.Should().BeApproximately(i == j ? 1 : 0, 1e-12);
            }
        }
    }

    [Fact]
    public void FromFrames_FramesFromKnownGaussian_RecoversMeanAndCovariance()
    {
        // 200,000 frames: the sampling error of a variance is about √(2/N) ≈ 0.3 %; allow 2 %.
        var rng = new Random(4);
        var mean = Enumerable.Range(0, D).Select(i => (i * 3.0) - 20).ToArray();
        var scale = Enumerable.Range(0, D).Select(i => 1.0 + i).ToArray();
        const int n = 200_000;
        var frames = new double[n * D];
        for (var f = 0; f < n; f++)
        {
            var z0 = Gaussian(rng);
            for (var i = 0; i < D; i++)
            {
                // Coefficient 1 is correlated with coefficient 0 (ρ = 0.6).
                var z = i == 1 ? (0.6 * z0) + (0.8 * Gaussian(rng)) : i == 0 ? z0 : Gaussian(rng);
                frames[(f * D) + i] = mean[i] + (scale[i] * z);
            }
        }

        var g = GaussianModel.FromFrames(frames, n);
        for (var i = 0; i < D; i++)
        {
            g.Mean[i].Should().BeApproximately(mean[i], 0.02 * scale[i]);
            g.Covariance[(i * D) + i].Should().BeApproximately(scale[i] * scale[i], 0.02 * scale[i] * scale[i]);
        }

        g.Covariance[1].Should().BeApproximately(0.6 * scale[0] * scale[1], 0.02 * scale[0] * scale[1]);
        g.RepairedEigenvalues.Should().Be(0);
    }

    [Fact]
    public void FromFrames_TwoFrames_UsesUnbiasedCovariance()
    {
        var frames = new double[2 * D];
        frames[0] = 1;
        frames[D] = 3;
        var g = GaussianModel.FromFrames(frames, 2);
        g.Mean[0].Should().Be(2);
        g.Covariance[0].Should().BeApproximately(2, 1e-12, "((1−2)² + (3−2)²) / (2 − 1)");
        g.RepairedEigenvalues.Should().Be(D - 1, "the other 19 directions have zero variance and are floored");
    }

    [Fact]
    public void FromMoments_IndefiniteCovariance_IsRepairedAndCounted()
    {
        var cov = new double[D * D];
        for (var i = 0; i < D; i++)
        {
            cov[(i * D) + i] = i switch { 0 => -4, 1 => 1e-9, _ => 2 };
        }

        var g = GaussianModel.FromMoments(new double[D], cov);
        g.RepairedEigenvalues.Should().Be(2);
        g.Covariance[0].Should().BeApproximately(4, 1e-12, "|λ| replaces a negative eigenvalue");
        g.Covariance[D + 1].Should().BeApproximately(1e-4, 1e-16, "tiny eigenvalues are floored at 1e-4");
        AssertInverse(g);
    }

    [Fact]
    public void FromMoments_AsymmetricInput_IsSymmetrised()
    {
        var cov = new double[D * D];
        for (var i = 0; i < D; i++)
        {
            cov[(i * D) + i] = 5;
        }

        cov[1] = 1;
        cov[D] = 0;
        var g = GaussianModel.FromMoments(new double[D], cov);
        g.Covariance[1].Should().BeApproximately(0.5, 1e-12);
        g.Covariance[D].Should().Be(g.Covariance[1]);
        AssertInverse(g);
    }

    [Theory]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    [InlineData(double.NegativeInfinity)]
    public void Constructors_NonFiniteInput_AreRejectedWithAClearMessage(double bad)
    {
        var mean = new double[D];
        var cov = Enumerable.Range(0, D * D).Select(i => i % (D + 1) == 0 ? 1.0 : 0).ToArray();
        mean[3] = bad;
        var act = () => GaussianModel.FromMoments(mean, cov);
        act.Should().Throw<ArgumentException>().WithMessage("*Mean value 3 is not finite*");

        mean[3] = 0;
        cov[45] = bad;
        act.Should().Throw<ArgumentException>().WithMessage("*Covariance value 45 (row 2, column 5) is not finite*");

        var frames = new double[3 * D];
        frames[D + 7] = bad;
        var fromFrames = () => GaussianModel.FromFrames(frames, 3);
        fromFrames.Should().Throw<ArgumentException>().WithMessage("*Frame 1, coefficient 7 is not finite*");
    }

    [Fact]
    public void Constructors_WrongShapes_AreRejected()
    {
        ((Action)(() => GaussianModel.FromMoments(new double[19], new double[400]))).Should().Throw<ArgumentException>();
        ((Action)(() => GaussianModel.FromMoments(new double[20], new double[399]))).Should().Throw<ArgumentException>();
        ((Action)(() => GaussianModel.FromFrames(new double[20], 1))).Should().Throw<ArgumentException>().WithMessage("*At least 2 frames*");
        ((Action)(() => GaussianModel.FromFrames(new double[41], 2))).Should().Throw<ArgumentException>();
    }

    [Fact]
    public void SklReference_IdenticalAndSwapped_IsZeroAndSymmetric()
    {
        var songs = SyntheticCatalogue.Generate(20, 5);
        foreach (var a in songs)
        {
            SklReference.Distance(a.Model, a.Model).Should().BeApproximately(0, 1e-9);
            foreach (var b in songs)
            {
                var ab = SklReference.Distance(a.Model, b.Model);
                ab.Should().BeApproximately(SklReference.Distance(b.Model, a.Model), 1e-9 * Math.Max(1, ab));
                ab.Should().BeGreaterThanOrEqualTo(-1e-9);
            }
        }
    }

    [Fact]
    public void SyntheticCatalogue_SameSeed_SameSongsAndPrefixStable()
    {
        var small = SyntheticCatalogue.Generate(30, 9);
        var large = SyntheticCatalogue.Generate(60, 9);
        for (var i = 0; i < 30; i++)
        {
            small[i].Mean.Should().Equal(large[i].Mean);
            small[i].Covariance.Should().Equal(large[i].Covariance);
            small[i].Genre.Should().Be(large[i].Genre);
        }

        SyntheticCatalogue.Generate(5, 10)[0].Mean.Should().NotEqual(small[0].Mean);
    }

    private static void AssertInverse(GaussianModel g)
    {
        for (var i = 0; i < D; i++)
        {
            for (var j = 0; j < D; j++)
            {
                double p = 0;
                for (var m = 0; m < D; m++)
                {
                    p += g.Covariance[(i * D) + m] * g.InverseCovariance[(m * D) + j];
                }

                p.Should().BeApproximately(i == j ? 1 : 0, 1e-8);
            }
        }
    }

    private static double Gaussian(Random rng) =>
        Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
}
