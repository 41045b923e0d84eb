using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using OrleansHub.Silo.Hosting;

namespace OrleansHub.Silo.Api;

/// <summary>A webhook registration: where to POST alerts, the signing secret (generated when absent) and the alert types (all when absent).</summary>
/// <param name="Url">Absolute http or https URL.</param>
/// <param name="Secret">HMAC-SHA256 key, 16 to 256 characters; generated when absent.</param>
/// <param name="Types">Alert types to deliver (for example <c>hub-emerged</c>); all when absent or empty.</param>
public sealed record WebhookRequest(string? Url, string? Secret, IReadOnlyList<string>? Types);

/// <summary>A created webhook, with its secret in clear (the only time it is shown).</summary>
/// <param name="Id">Webhook id.</param>
/// <param name="Url">Delivery URL.</param>
/// <param name="Secret">Signing secret.</param>
/// <param name="Types">Delivered alert types; empty for all.</param>
/// <param name="CreatedAt">Registration time (UTC).</param>
public sealed record WebhookCreated(long Id, string Url, string Secret, IReadOnlyList<string> Types, DateTimeOffset CreatedAt);

/// <summary>A registered webhook as listed (secret masked).</summary>
/// <param name="Id">Webhook id.</param>
/// <param name="Url">Delivery URL.</param>
/// <param name="Secret">The secret's last four characters behind asterisks.</param>
/// <param name="Types">Delivered alert types; empty for all.</param>
/// <param name="Cursor">Id of the last alert handled.</param>
/// <param name="CreatedAt">Registration time (UTC).</param>
public sealed record WebhookDto(long Id, string Url, string Secret, IReadOnlyList<string> Types, long Cursor, DateTimeOffset CreatedAt);

/// <summary>An alert that could not be delivered.</summary>
/// <param name="Id">Dead-letter id.</param>
/// <param name="AlertId">The alert (see <c>GET /api/alerts</c>).</param>
/// <param name="Attempts">Attempts made.</param>
/// <param name="LastError">The last attempt's error.</param>
/// <param name="FailedAt">When the last attempt failed (UTC).</param>
public sealed record DeadLetterDto(long Id, long AlertId, int Attempts, string LastError, DateTimeOffset FailedAt);

/// <summary>Webhooks: register, list, delete, read dead letters. Every route needs an API key.</summary>
public static class WebhooksApi
{
    /// <summary>The alert types a webhook can select.</summary>
    public static IReadOnlyList<string> AlertTypes { get; } = ["hub-emerged", "hub-receded", "suspicious-upload", "anomalous-upload", "catalogue-drift"];

    /// <summary>Maps <c>/api/webhooks</c>.</summary>
    public static RouteGroupBuilder MapWebhooksApi(this IEndpointRouteBuilder app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var group = app.MapGroup("/api/webhooks").WithTags("Webhooks").AddEndpointFilter<ApiKeyFilter>();
        group.MapPost("/", CreateWebhook).Accepts<WebhookRequest>("application/json").WithName("CreateWebhook");
        group.MapGet("/", ListWebhooks).WithName("ListWebhooks");
        group.MapDelete("/{id:long}", DeleteWebhook).WithName("DeleteWebhook");
        group.MapGet("/{id:long}/dead-letters", GetDeadLetters).WithName("GetWebhookDeadLetters");
        return group;
    }

    /// <summary>POST /api/webhooks: a <see cref="WebhookRequest"/> as JSON (read here, so that every malformed body gets a specific problem type).</summary>
    public static async Task<Results<Created<WebhookCreated>, ProblemHttpResult>> CreateWebhook(
        HttpRequest httpRequest,
        CatalogueService catalogue,
        WebhookDispatcher dispatcher,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(httpRequest);
        ArgumentNullException.ThrowIfNull(catalogue);
        ArgumentNullException.ThrowIfNull(dispatcher);
        if (!httpRequest.HasJsonContentType())
        {
            return Problems.Problem(StatusCodes.Status415UnsupportedMediaType, Problems.UnsupportedMediaType, "Unsupported content type", $"Send the webhook as application/json; got '{httpRequest.ContentType}'.");
        }

        WebhookRequest? request;
        try
        {
            request = await httpRequest.ReadFromJsonAsync<WebhookRequest>(cancellationToken).ConfigureAwait(false);
        }
        catch (JsonException)
        {
            request = null;
        }

        if (request is null)
        {
            return Invalid("The body must be a JSON object {\"url\", \"secret\"?, \"types\"?: [..]}.");
        }
        if (!Uri.TryCreate(request.Url, UriKind.Absolute, out var url) || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps))
        {
            return Invalid("The url must be an absolute http or https URL.");
        }

        if (request.Secret is { } given && (given.Length < 16 || given.Length > 256 || given.Any(char.IsWhiteSpace)))
        {
            return Invalid("The secret must be 16 to 256 characters without white space (or absent, to have one generated).");
        }

        var types = (request.Types ?? []).Distinct(StringComparer.Ordinal).ToList();
        var unknown = types.FirstOrDefault(t => !AlertTypes.Contains(t, StringComparer.Ordinal));
        if (unknown is not null)
        {
            return Invalid($"Unknown alert type \"{unknown}\"; known: {string.Join(", ", AlertTypes)}.");
        }

        if (!catalogue.IsReady)
        {
            return Problems.Problem(StatusCodes.Status503ServiceUnavailable, Problems.Unavailable, "Not ready", "The catalogue is recovering or failed.");
        }

        var secret = request.Secret ?? "whsec_" + RandomNumberGenerator.GetHexString(48, lowercase: true);
        var hook = await catalogue.Store.AddWebhookAsync(url.AbsoluteUri, secret, types, cancellationToken).ConfigureAwait(false);
        dispatcher.Wake();
        return TypedResults.Created($"/api/webhooks/{hook.Id}", new WebhookCreated(hook.Id, hook.Url, hook.Secret, hook.Types, hook.CreatedAt));
    }

    /// <summary>GET /api/webhooks: secrets masked.</summary>
    public static async Task<Results<Ok<IReadOnlyList<WebhookDto>>, ProblemHttpResult>> ListWebhooks(CatalogueService catalogue, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(catalogue);
        if (!catalogue.IsReady)
        {
            return Problems.Problem(StatusCodes.Status503ServiceUnavailable, Problems.Unavailable, "Not ready", "The catalogue is recovering or failed.");
        }

        var hooks = await catalogue.Store.WebhooksAsync(cancellationToken).ConfigureAwait(false);
        IReadOnlyList<WebhookDto> list = hooks.Select(h => new WebhookDto(h.Id, h.Url, Mask(h.Secret), h.Types, h.Cursor, h.CreatedAt)).ToList();
        return TypedResults.Ok(list);
    }

    /// <summary>DELETE /api/webhooks/{id}.</summary>
    public static async Task<Results<NoContent, ProblemHttpResult>> DeleteWebhook(long id, CatalogueService catalogue, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(catalogue);
        if (!catalogue.IsReady)
        {
            return Problems.Problem(StatusCodes.Status503ServiceUnavailable, Problems.Unavailable, "Not ready", "The catalogue is recovering or failed.");
        }

        return await catalogue.Store.DeleteWebhookAsync(id, cancellationToken).ConfigureAwait(false)
            ? TypedResults.NoContent()
            : NotFound(id);
    }

    /// <summary>GET /api/webhooks/{id}/dead-letters.</summary>
    public static async Task<Results<Ok<IReadOnlyList<DeadLetterDto>>, ProblemHttpResult>> GetDeadLetters(long id, CatalogueService catalogue, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(catalogue);
        if (!catalogue.IsReady)
        {
            return Problems.Problem(StatusCodes.Status503ServiceUnavailable, Problems.Unavailable, "Not ready", "The catalogue is recovering or failed.");
        }

        var store = catalogue.Store;
        if (!(await store.WebhooksAsync(cancellationToken).ConfigureAwait(false)).Any(h => h.Id == id))
        {
            return NotFound(id);
        }

        IReadOnlyList<DeadLetterDto> letters = (await store.DeadLettersAsync(id, cancellationToken).ConfigureAwait(false))
            .Select(d => new DeadLetterDto(d.Id, d.AlertId, d.Attempts, d.LastError, d.FailedAt))
            .ToList();
        return TypedResults.Ok(letters);
    }

    private static string Mask(string secret) => "****" + secret[^Math.Min(4, secret.Length)..];

    private static ProblemHttpResult Invalid(string detail) =>
        Problems.Problem(StatusCodes.Status400BadRequest, Problems.InvalidWebhook, "Invalid webhook", detail);

    private static ProblemHttpResult NotFound(long id) =>
        Problems.Problem(StatusCodes.Status404NotFound, Problems.WebhookNotFound, "Webhook not found", $"No webhook has the id {id}.");
}
