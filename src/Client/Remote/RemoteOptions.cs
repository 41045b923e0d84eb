using System.CommandLine;
using OrleansHub.Contracts.Api;

namespace OrleansHub.Client.Remote;

/// <summary>Creates the typed client for a command (a seam so that tests can point commands at an in-process silo).</summary>
/// <param name="server">Silo URL.</param>
/// <param name="apiKey">API key, or null.</param>
internal delegate OrleansHubClient ClientFactory(Uri server, string? apiKey);

/// <summary>Options shared by the commands that talk to a silo: <c>--server</c> and <c>--api-key</c>.</summary>
internal static class RemoteOptions
{
    /// <summary>Server used when <c>--server</c> is not given.</summary>
    public const string DefaultServer = "http://127.0.0.1:5090";

    /// <summary>Environment variable read when <c>--api-key</c> is not given.</summary>
    public const string ApiKeyVariable = "ORLEANSHUB_API_KEY";

    /// <summary>The default factory: a client with its own connection pool.</summary>
    public static ClientFactory Default { get; } = (server, key) => OrleansHubClient.Create(server, key);

    /// <summary><c>--server URL</c>, validated as an absolute http(s) URL.</summary>
    public static Option<string> Server()
    {
        var option = new Option<string>("--server") { Description = "Silo URL.", DefaultValueFactory = _ => DefaultServer };
        option.Validators.Add(r =>
        {
            if (ParseServer(r.GetValueOrDefault<string>()) is null)
            {
                r.AddError($"--server must be an absolute http or https URL, got '{r.GetValueOrDefault<string>()}'.");
            }
        });
        return option;
    }

    /// <summary><c>--api-key K</c>; falls back to the <c>ORLEANSHUB_API_KEY</c> environment variable.</summary>
    public static Option<string> ApiKey() =>
        new("--api-key") { Description = $"API key sent in X-Api-Key (default: the {ApiKeyVariable} environment variable)." };

    /// <summary>The key given, else the environment variable, else null.</summary>
    public static string? ResolveApiKey(string? given) =>
        !string.IsNullOrEmpty(given) ? given : Environment.GetEnvironmentVariable(ApiKeyVariable) is { Length: > 0 } fromEnvironment ? fromEnvironment : null;

    /// <summary>The server URL as a base address (with a trailing slash), or null when invalid.</summary>
    public static Uri? ParseServer(string? text)
    {
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            return null;
        }

        return uri.AbsoluteUri.EndsWith('/') ? uri : new Uri(uri.AbsoluteUri + "/");
    }

    /// <summary>Runs <paramref name="body"/>; an API error or an unreachable server is reported on <paramref name="error"/> with exit code 1.</summary>
    public static async Task<int> RunAsync(TextWriter error, Uri server, Func<Task<int>> body)
    {
        try
        {
            return await body().ConfigureAwait(false);
        }
        catch (OrleansHubApiException ex)
        {
            await error.WriteLineAsync($"error: {Describe(ex)}").ConfigureAwait(false);
            return 1;
        }
        catch (HttpRequestException ex)
        {
            await error.WriteLineAsync($"error: cannot reach {server}: {ex.Message}").ConfigureAwait(false);
            return 1;
        }
    }

    /// <summary>One-line description of an API error: status, title, detail and problem type.</summary>
    public static string Describe(OrleansHubApiException exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        var p = exception.Problem;
        return $"{p.Status} {p.Title}{(p.Detail is null ? string.Empty : ": " + p.Detail)}{(p.Type is null ? string.Empty : " (" + p.Type + ")")}";
    }
}
