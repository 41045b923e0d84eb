namespace OrleansHub.Audio;

/// <summary>
/// A file that cannot be analysed, with a message precise enough to act on (which file
/// property, which limit, which missing tool).
/// </summary>
public sealed class AudioException : Exception
{
    /// <summary>Creates an empty exception.</summary>
    public AudioException()
    {
    }

    /// <summary>Creates the exception with its message.</summary>
    public AudioException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with its message and cause.</summary>
    public AudioException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
