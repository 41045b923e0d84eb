using OrleansHub.Silo.Hosting;

namespace OrleansHub.Silo.Api;

/// <summary>Endpoint filter: the request needs a valid <c>X-Api-Key</c> header.</summary>
public sealed class ApiKeyFilter(CatalogueService catalogue) : IEndpointFilter
{
    /// <summary>Header carrying the key.</summary>
    public const string Header = "X-Api-Key";

    /// <inheritdoc />
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(next);
        var key = context.HttpContext.Request.Headers[Header].ToString();
        if (string.IsNullOrEmpty(key))
        {
            return Problems.Problem(StatusCodes.Status401Unauthorized, Problems.ApiKeyRequired, "API key required", $"Send a key in the {Header} header.");
        }

        if (!catalogue.IsValidKey(key))
        {
            return Problems.Problem(StatusCodes.Status401Unauthorized, Problems.ApiKeyInvalid, "Unknown API key", $"The {Header} header does not hold a known key.");
        }

        return await next(context).ConfigureAwait(false);
    }
}
