namespace OrleansHub.Contracts.Api;

/// <summary>An error answer of the OrleansHub API, carrying its problem details.</summary>
public sealed class OrleansHubApiException : Exception
{
    /// <summary>Creates the exception for an error answer.</summary>
    /// <param name="problem">The answer's problem details.</param>
    public OrleansHubApiException(ApiProblem problem)
        : base(Describe(problem))
    {
        Problem = problem;
    }

    /// <summary>Creates an exception without problem details (status 0).</summary>
    public OrleansHubApiException()
        : this(new ApiProblem(0, null, null, null, new Dictionary<string, System.Text.Json.Nodes.JsonNode?>()))
    {
    }

    /// <summary>Creates an exception with a message and no problem details (status 0).</summary>
    /// <param name="message">Message.</param>
    public OrleansHubApiException(string message)
        : base(message)
    {
        Problem = new ApiProblem(0, null, null, message, new Dictionary<string, System.Text.Json.Nodes.JsonNode?>());
    }

    /// <summary>Creates an exception with a message, an inner exception and no problem details (status 0).</summary>
    /// <param name="message">Message.</param>
    /// <param name="innerException">Cause.</param>
    public OrleansHubApiException(string message, Exception innerException)
        : base(message, innerException)
    {
        Problem = new ApiProblem(0, null, null, message, new Dictionary<string, System.Text.Json.Nodes.JsonNode?>());
    }

    /// <summary>The problem details of the answer.</summary>
    public ApiProblem Problem { get; }

    /// <summary>HTTP status of the answer.</summary>
    public int Status => Problem.Status;

    /// <summary>Problem type URI, if the answer had one.</summary>
    public string? Type => Problem.Type;

    /// <summary>Problem title, if the answer had one.</summary>
    public string? Title => Problem.Title;

    /// <summary>Problem detail, if the answer had one.</summary>
    public string? Detail => Problem.Detail;

    private static string Describe(ApiProblem problem) =>
        $"{problem.Status} {problem.Title ?? "error"}{(problem.Detail is null ? string.Empty : ": " + problem.Detail)}";
}
