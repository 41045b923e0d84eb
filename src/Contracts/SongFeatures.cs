namespace OrleansHub.Contracts;

/// <summary>
/// One song of the features interchange format (one JSON object per line): an id, the mean and
/// row-major covariance of its 20 MFCCs, and optional genre labels and tags.
/// </summary>
/// <param name="Id">Unique, non-empty song id.</param>
/// <param name="Mean">20 finite numbers.</param>
/// <param name="Covariance">400 finite numbers, row-major 20×20.</param>
/// <param name="Labels">Genre labels (empty when unknown).</param>
/// <param name="Title">Title tag, if known.</param>
/// <param name="Artist">Artist tag, if known.</param>
/// <param name="Source">Where the song came from (file path, URL, catalogue name), if known.</param>
public sealed record SongFeatures(
    string Id,
    double[] Mean,
    double[] Covariance,
    IReadOnlyList<string> Labels,
    string? Title = null,
    string? Artist = null,
    string? Source = null)
{
    /// <summary>Number of MFCC coefficients per song.</summary>
    public const int Dimension = 20;

    /// <summary>Length of the row-major covariance.</summary>
    public const int CovarianceLength = Dimension * Dimension;
}

/// <summary>A malformed line of a features file.</summary>
/// <param name="LineNumber">1-based line number.</param>
/// <param name="Reason">Why the line was rejected, naming the field.</param>
public sealed record FeaturesLineError(int LineNumber, string Reason)
{
    /// <inheritdoc />
    public override string ToString() => $"line {LineNumber}: {Reason}";
}
