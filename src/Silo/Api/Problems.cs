namespace OrleansHub.Silo.Api;

/// <summary>The problem types of the API: every error answer is a ProblemDetails with one of these types.</summary>
public static class Problems
{
    private const string Base = "https://orleanshub.dev/problems/";

    /// <summary>The body is not a valid song (or batch of songs).</summary>
    public const string InvalidFeatures = Base + "invalid-features";

    /// <summary>An uploaded audio file cannot be decoded or analysed (the detail says why).</summary>
    public const string InvalidAudio = Base + "invalid-audio";

    /// <summary>A query parameter is out of range or unknown.</summary>
    public const string InvalidParameter = Base + "invalid-parameter";

    /// <summary>No song has this id.</summary>
    public const string SongNotFound = Base + "song-not-found";

    /// <summary>The id is used by a song with other content.</summary>
    public const string IdConflict = Base + "id-conflict";

    /// <summary>Writes need an X-Api-Key header.</summary>
    public const string ApiKeyRequired = Base + "api-key-required";

    /// <summary>The X-Api-Key is not known.</summary>
    public const string ApiKeyInvalid = Base + "api-key-invalid";

    /// <summary>The body exceeds the configured limit.</summary>
    public const string BodyTooLarge = Base + "body-too-large";

    /// <summary>The content type is not one the endpoint reads.</summary>
    public const string UnsupportedMediaType = Base + "unsupported-media-type";

    /// <summary>The catalogue is recovering or stopped accepting writes.</summary>
    public const string Unavailable = Base + "catalogue-unavailable";

    /// <summary>A ProblemDetails result.</summary>
    public static Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult Problem(int status, string type, string title, string detail, IDictionary<string, object?>? extensions = null) =>
        TypedResults.Problem(detail: detail, statusCode: status, title: title, type: type, extensions: extensions);
}
