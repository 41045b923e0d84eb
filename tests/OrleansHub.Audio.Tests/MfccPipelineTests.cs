using Complex = System.Numerics.Complex;
using FluentAssertions;
using MathNet.Numerics.Distributions;
using MathNet.Numerics.IntegralTransforms;
using MathNet.Numerics.LinearAlgebra;
using OrleansHub.Grains.Model;

namespace OrleansHub.Audio.Tests;

public sealed class MfccPipelineTests
{
    [Theory]
    [InlineData(1024, 1)]
    [InlineData(1024, 2)]
    [InlineData(16, 3)]
    [InlineData(4, 4)]
    public void RealFft_PowerSpectrum_MatchesMathNetFourier(int n, int seed)
    {
        // Tolerance 1e-9 relative to the total energy: both are double-precision O(n log n) transforms.
        var random = new Random(seed);
        var x = Enumerable.Range(0, n).Select(_ => (random.NextDouble() * 2) - 1).ToArray();
        var complex = x.Select(v => new Complex(v, 0)).ToArray();
        Fourier.Forward(complex, FourierOptions.NoScaling);
        var power = new double[(n / 2) + 1];
        new RealFft(n).PowerSpectrum(x, power);
        var energy = x.Sum(v => v * v) * n;
        for (var k = 0; k <= n / 2; k++)
        {
            power[k].Should().BeApproximately(complex[k].Magnitude * complex[k].Magnitude, 1e-9 * energy, $"bin {k}");
        }
    }

    [Theory]
    [InlineData(100.0)]
    [InlineData(440.0)]
    [InlineData(2000.0)]
    [InlineData(7500.0)]
    public void MelDecibels_PureTone_PeaksInTheBandWhoseCentreIsNearest(double frequency)
    {
        var signal = TestSignals.Sine(frequency, 0.5, 22050, 22050 * 2);
        var db = new MfccExtractor().MelDecibels(signal);
        var frame = 20 * MfccExtractor.MelBands;
        var row = db.AsSpan(frame, MfccExtractor.MelBands).ToArray();
        var peak = Array.IndexOf(row, row.Max());

        var melMax = MelFilterBank.HzToMel(11025);
        var centres = Enumerable.Range(1, 36).Select(i => MelFilterBank.MelToHz(melMax * i / 37)).ToArray();
        var expected = Enumerable.Range(0, 36).OrderBy(b => Math.Abs(centres[b] - frequency)).First();
        peak.Should().Be(expected, $"{frequency} Hz lies nearest the centre {centres[expected]:0} Hz");
    }

    [Fact]
    public void MelDecibels_WhiteNoise_GivesAFlatSpectrumPerUnitFilterWeight()
    {
        // White noise has equal expected power in every FFT bin, so band energy / Σ weights is flat.
        // Averaged over ~430 frames the estimate's spread is a few tenths of a dB; 0.5 dB allowed.
        var signal = TestSignals.Noise(22050 * 10, 0.3, 7);
        var extractor = new MfccExtractor();
        var db = extractor.MelDecibels(signal);
        var frames = db.Length / 36;
        var bank = new MelFilterBank(36, 1024, 22050, 0, 11025);
        var levels = new double[36];
        for (var b = 0; b < 36; b++)
        {
            double mean = 0;
            for (var t = 2; t < frames - 2; t++)
            {
                mean += Math.Pow(10, db[(t * 36) + b] / 10);
            }

            var weights = Enumerable.Range(0, 513).Sum(k => bank.Weight(b, k));
            levels[b] = 10 * Math.Log10(mean / (frames - 4) / weights);
        }

        (levels.Max() - levels.Min()).Should().BeLessThan(1.0);
        levels.Select(l => Math.Abs(l - levels.Average())).Max().Should().BeLessThan(0.5);
    }

    [Fact]
    public void Dct_IsOrthonormal()
    {
        var full = MfccExtractor.CreateOrthonormalDct(36, 36);
        for (var i = 0; i < 36; i++)
        {
            for (var j = 0; j < 36; j++)
            {
                var dot = Enumerable.Range(0, 36).Sum(m => full[(i * 36) + m] * full[(j * 36) + m]);
                dot.Should().BeApproximately(i == j ? 1 : 0, 1e-12, $"rows {i} and {j}");
            }
        }
    }

    [Fact]
    public void Dct_MatchesTheDefinition()
    {
        var x = Enumerable.Range(0, 36).Select(i => Math.Sin(i * 0.7) * 10).ToArray();
        var c = new double[20];
        new MfccExtractor().ApplyDct(x, c);
        for (var k = 0; k < 20; k++)
        {
            var s = k == 0 ? Math.Sqrt(1.0 / 36) : Math.Sqrt(2.0 / 36);
            var expected = s * Enumerable.Range(0, 36).Sum(m => x[m] * Math.Cos(Math.PI * k * ((2 * m) + 1) / 72));
            c[k].Should().BeApproximately(expected, 1e-12);
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-5)]
    [InlineData(5)]
    [InlineData(1029)]
    [InlineData(1035)]
    public void Reflect_FollowsNumpyReflectPadding(int index)
    {
        var expected = index < 0 ? -index : index >= 1030 ? (2 * 1029) - index : index;
        MfccExtractor.Reflect(index, 1030).Should().Be(expected);
    }

    [Theory]
    [InlineData(1, 3.0)]
    [InlineData(2, 2.5)]
    public void FastPipeline_AgreesWithAPlainReference(int seed, double seconds)
    {
        // The reference works in double with a naive DFT; the fast path reads the float32 signal the
        // same way. Differences come from FFT rounding only: MFCCs agree to ~1e-9, moments to 1e-6 relative.
        var signal = TestSignals.Music((int)(22050 * seconds), 22050, seed);
        var fast = new MfccExtractor().Gaussian(signal);
        var (mean, cov) = PlainReference.Moments(signal);
        for (var i = 0; i < 20; i++)
        {
            fast.Mean[i].Should().BeApproximately(mean[i], 1e-6 * Math.Max(1, Math.Abs(mean[i])), $"mean {i}");
        }

        var reference = GaussianModel.FromMoments(mean, cov);
        for (var i = 0; i < 400; i++)
        {
            fast.Covariance[i].Should().BeApproximately(reference.Covariance[i], 1e-6 * Math.Max(1, Math.Abs(reference.Covariance[i])), $"covariance {i}");
        }
    }

    [Fact]
    public void GaussianFromFrames_RecoversTheDistributionTheFramesWereDrawnFrom()
    {
        // 200,000 frames: the sample mean is within ~4σ/√n and the covariance within ~5% of the truth.
        var random = new Random(3);
        var a = Matrix<double>.Build.Dense(20, 20, (_, _) => Normal.Sample(random, 0, 1));
        var sigma = (a * a.Transpose() / 20) + Matrix<double>.Build.DenseIdentity(20);
        var mu = Vector<double>.Build.Dense(20, i => i - 10.0);
        var chol = sigma.Cholesky().Factor;
        const int n = 200_000;
        var frames = new double[n * 20];
        var z = Vector<double>.Build.Dense(20);
        for (var f = 0; f < n; f++)
        {
            for (var i = 0; i < 20; i++)
            {
                z[i] = Normal.Sample(random, 0, 1);
            }

            var x = mu + (chol * z);
            for (var i = 0; i < 20; i++)
            {
                frames[(f * 20) + i] = x[i];
            }
        }

        var model = GaussianModel.FromFrames(frames, n);
        for (var i = 0; i < 20; i++)
        {
            model.Mean[i].Should().BeApproximately(mu[i], 4 * Math.Sqrt(sigma[i, i] / n));
            for (var j = 0; j < 20; j++)
            {
                model.Covariance[(i * 20) + j].Should().BeApproximately(sigma[i, j], 0.05 * Math.Sqrt(sigma[i, i] * sigma[j, j]));
            }
        }
    }

    [Fact]
    public void Gaussian_SignalWithOneLoudFrame_HasNoNaNAndAFiniteModel()
    {
        var signal = new float[22050 * 3];
        signal[30000] = 1;
        var act = () => AudioPipeline.GaussianFromExcerpt(signal);
        var model = act();
        model.Covariance.ToArray().Should().OnlyContain(v => double.IsFinite(v));
    }

    /// <summary>Straightforward double-precision implementation of SPEC §1 from the definitions.</summary>
    private static class PlainReference
    {
        public static (double[] Mean, double[] Covariance) Moments(float[] x)
        {
            const int n = 1024, hop = 512, bands = 36, keep = 20;
            var padded = new double[x.Length + n];
            for (var i = 0; i < padded.Length; i++)
            {
                var j = i - (n / 2);
                j = j < 0 ? -j : j >= x.Length ? (2 * (x.Length - 1)) - j : j;
                padded[i] = x[j];
            }

            var frames = 1 + ((padded.Length - n) / hop);
            double Mel(double f) => 2595 * Math.Log10(1 + (f / 700));
            double Hz(double m) => 700 * (Math.Pow(10, m / 2595) - 1);
            var edges = Enumerable.Range(0, bands + 2).Select(i => Hz(Mel(11025) * i / (bands + 1))).ToArray();
            var cosTable = new double[n];
            var sinTable = new double[n];
            for (var i = 0; i < n; i++)
            {
                cosTable[i] = Math.Cos(2 * Math.PI * i / n);
                sinTable[i] = Math.Sin(2 * Math.PI * i / n);
            }

            var db = new double[frames, bands];
            var max = double.NegativeInfinity;
            var frame = new double[n];
            for (var t = 0; t < frames; t++)
            {
                for (var i = 0; i < n; i++)
                {
                    frame[i] = padded[(t * hop) + i] * (0.5 - (0.5 * Math.Cos(2 * Math.PI * i / n)));
                }

                var mel = new double[bands];
                for (var k = 0; k <= n / 2; k++)
                {
                    double re = 0, im = 0;
                    for (var i = 0; i < n; i++)
                    {
                        var idx = (int)((long)k * i % n);
                        re += frame[i] * cosTable[idx];
                        im -= frame[i] * sinTable[idx];
                    }

                    var p = (re * re) + (im * im);
                    var f = k * 22050.0 / n;
                    for (var b = 0; b < bands; b++)
                    {
                        var w = Math.Max(0, Math.Min((f - edges[b]) / (edges[b + 1] - edges[b]), (edges[b + 2] - f) / (edges[b + 2] - edges[b + 1])));
                        mel[b] += w * p;
                    }
                }

                for (var b = 0; b < bands; b++)
                {
                    db[t, b] = 10 * Math.Log10(Math.Max(mel[b], 1e-10));
                    max = Math.Max(max, db[t, b]);
                }
            }

            var mfcc = new double[frames, keep];
            for (var t = 0; t < frames; t++)
            {
                for (var k = 0; k < keep; k++)
                {
                    double s = 0;
                    for (var m = 0; m < bands; m++)
                    {
                        s += Math.Max(db[t, m], max - 80) * Math.Cos(Math.PI * k * ((2 * m) + 1) / (2.0 * bands));
                    }

                    mfcc[t, k] = s * (k == 0 ? Math.Sqrt(1.0 / bands) : Math.Sqrt(2.0 / bands));
                }
            }

            var mean = new double[keep];
            for (var k = 0; k < keep; k++)
            {
                for (var t = 0; t < frames; t++)
                {
                    mean[k] += mfcc[t, k] / frames;
                }
            }

            var cov = new double[keep * keep];
            for (var i = 0; i < keep; i++)
            {
                for (var j = 0; j < keep; j++)
                {
                    double s = 0;
                    for (var t = 0; t < frames; t++)
                    {
                        s += (mfcc[t, i] - mean[i]) * (mfcc[t, j] - mean[j]);
                    }

                    cov[(i * keep) + j] = s / (frames - 1);
                }
            }

            return (mean, cov);
        }
    }
}
