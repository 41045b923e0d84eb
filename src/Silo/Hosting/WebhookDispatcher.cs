using System.Collections.Concurrent;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using OrleansHub.Contracts.Api;
using OrleansHub.Silo.Diagnostics;
using OrleansHub.Silo.Options;
using OrleansHub.Silo.Security;
using OrleansHub.Silo.Storage;

namespace OrleansHub.Silo.Hosting;

/// <summary>
/// Delivers stored alerts to the registered webhooks. Each webhook has a persisted cursor (the last
/// alert handled) and its own worker, so a slow receiver does not hold up the others. An alert is
/// POSTed as JSON with the <see cref="WebhookSignature.HeaderName"/> and <see cref="AlertIdHeader"/>
/// headers, retried with exponential back-off, and after the last attempt recorded on the webhook's
/// dead-letter list; the cursor then moves on. Delivery is at-least-once: an alert whose delivery
/// succeeded just before a crash is sent again after the restart.
/// </summary>
public sealed partial class WebhookDispatcher : BackgroundService
{
    /// <summary>Name of the <see cref="IHttpClientFactory"/> client used for deliveries.</summary>
    public const string HttpClientName = "OrleansHub.Webhooks";

    /// <summary>Header carrying the alert id (the receiver's idempotency key).</summary>
    public const string AlertIdHeader = "X-OrleansHub-Alert-Id";

    private const int PageSize = 100;
    private readonly CatalogueService _catalogue;
    private readonly IHttpClientFactory _httpClientFactory;
    private readonly WebhookOptions _options;
    private readonly SiloMetrics _metrics;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger<WebhookDispatcher> _logger;
    private readonly ConcurrentDictionary<long, Task> _workers = new();
    private TaskCompletionSource _wake = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Creates the dispatcher.</summary>
    public WebhookDispatcher(
        CatalogueService catalogue,
        IHttpClientFactory httpClientFactory,
        IOptions<OrleansHubOptions> options,
        SiloMetrics metrics,
        TimeProvider timeProvider,
        ILogger<WebhookDispatcher> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _catalogue = catalogue ?? throw new ArgumentNullException(nameof(catalogue));
        _httpClientFactory = httpClientFactory ?? throw new ArgumentNullException(nameof(httpClientFactory));
        _options = options.Value.Webhooks;
        _metrics = metrics ?? throw new ArgumentNullException(nameof(metrics));
        _timeProvider = timeProvider ?? throw new ArgumentNullException(nameof(timeProvider));
        _logger = logger ?? throw new ArgumentNullException(nameof(logger));
    }

    /// <summary>Makes the dispatcher look for work now (for example after a webhook was registered).</summary>
    public void Wake() => Interlocked.Exchange(ref _wake, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();

    /// <summary>The back-off before attempt <paramref name="attempt"/> (2-based): base·2^(attempt−2), capped.</summary>
    internal static TimeSpan Backoff(WebhookOptions options, int attempt)
    {
        var factor = Math.Pow(2, Math.Min(attempt - 2, 30));
        var ticks = Math.Min(options.BaseDelay.Ticks * factor, options.MaxDelay.Ticks);
        return TimeSpan.FromTicks((long)ticks);
    }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            var signal = _catalogue.AlertSignal;
            var wake = Volatile.Read(ref _wake).Task;
            if (_catalogue.IsReady)
            {
                try
                {
                    foreach (var hook in await _catalogue.Store.WebhooksAsync(stoppingToken).ConfigureAwait(false))
                    {
                        // Registered before it starts, so its own removal cannot precede the registration.
                        var worker = new Task<Task>(() => RunWorkerAsync(hook, stoppingToken));
                        if (_workers.TryAdd(hook.Id, worker.Unwrap()))
                        {
                            worker.Start(TaskScheduler.Default);
                        }
                    }
                }
                catch (Exception ex) when (ex is Microsoft.Data.Sqlite.SqliteException or InvalidOperationException)
                {
                    LogErrorDispatchFailed(ex);
                }
            }

            using var poll = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            var delay = Task.Delay(_options.PollInterval, _timeProvider, poll.Token);
            await Task.WhenAny(signal, wake, delay).ConfigureAwait(false);
            await poll.CancelAsync().ConfigureAwait(false);
        }

        try
        {
            await Task.WhenAll(_workers.Values).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Stopping: workers end at their next await.
        }
    }

    private async Task RunWorkerAsync(StoredWebhook hook, CancellationToken cancellationToken)
    {
        var handled = 0;
        try
        {
            handled = await DeliverPendingAsync(hook, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping.
        }
        catch (Exception ex) when (ex is Microsoft.Data.Sqlite.SqliteException or InvalidOperationException)
        {
            LogErrorDispatchFailed(ex);
        }
        finally
        {
            _workers.TryRemove(hook.Id, out _);
        }

        if (handled > 0)
        {
            // Alerts stored while this worker ran may have signalled while it was still registered.
            Wake();
        }
    }

    private async Task<int> DeliverPendingAsync(StoredWebhook hook, CancellationToken cancellationToken)
    {
        var store = _catalogue.Store;
        var cursor = hook.Cursor;
        var handled = 0;
        while (true)
        {
            var alerts = await store.ReadAlertsAfterAsync(cursor, PageSize, cancellationToken).ConfigureAwait(false);
            if (alerts.Count == 0)
            {
                return handled;
            }

            foreach (var alert in alerts)
            {
                (int, string)? deadLetter = null;
                var selected = hook.Types.Count == 0 || hook.Types.Contains(alert.Type, StringComparer.Ordinal);
                if (selected)
                {
                    deadLetter = await DeliverAsync(hook, alert, cancellationToken).ConfigureAwait(false);
                }

                if (!await store.AdvanceWebhookAsync(hook.Id, alert.Id, deadLetter, cancellationToken).ConfigureAwait(false))
                {
                    return handled; // deleted meanwhile
                }

                // Counted once the cursor (and dead letter) is durable.
                if (deadLetter is not null)
                {
                    _metrics.RecordWebhookDeadLettered(hook.Id);
                }
                else if (selected)
                {
                    _metrics.RecordWebhookDelivered(hook.Id);
                }

                cursor = alert.Id;
                handled++;
            }
        }
    }

    /// <summary>Delivers one alert with retries; null when delivered, else the dead letter.</summary>
    private async Task<(int Attempts, string LastError)?> DeliverAsync(StoredWebhook hook, StoredAlert alert, CancellationToken cancellationToken)
    {
        var body = JsonSerializer.SerializeToUtf8Bytes(new AlertDto(alert.Id, alert.Sequence, alert.Type, alert.RecordedAt, JsonNode.Parse(alert.Json)), AlertJson.Options);
        var client = _httpClientFactory.CreateClient(HttpClientName);
        var error = string.Empty;
        for (var attempt = 1; attempt <= _options.MaxAttempts; attempt++)
        {
            if (attempt > 1)
            {
                await Task.Delay(Backoff(_options, attempt), _timeProvider, cancellationToken).ConfigureAwait(false);
            }

            try
            {
                using var content = new ByteArrayContent(body);
                content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                using var request = new HttpRequestMessage(HttpMethod.Post, hook.Url) { Content = content };
                request.Headers.Add(WebhookSignature.HeaderName, WebhookSignature.Create(hook.Secret, _timeProvider.GetUtcNow(), body));
                request.Headers.Add(AlertIdHeader, alert.Id.ToString(CultureInfo.InvariantCulture));
                using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
                if (response.IsSuccessStatusCode)
                {
                    LogDebugDelivered(hook.Id, alert.Id, attempt);
                    return null;
                }

                error = $"HTTP {(int)response.StatusCode} {response.ReasonPhrase}";
            }
            catch (HttpRequestException ex)
            {
                error = ex.Message;
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                error = $"No answer within {_options.Timeout}.";
            }

            _metrics.RecordWebhookFailed(hook.Id);
            LogWarningAttemptFailed(hook.Id, alert.Id, attempt, _options.MaxAttempts, error);
        }

        LogErrorDeadLettered(hook.Id, alert.Id, _options.MaxAttempts);
        return (_options.MaxAttempts, error);
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Webhook {WebhookId}: alert {AlertId} delivered on attempt {Attempt}.")]
    private partial void LogDebugDelivered(long webhookId, long alertId, int attempt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Webhook {WebhookId}: alert {AlertId} attempt {Attempt}/{MaxAttempts} failed: {Error}")]
    private partial void LogWarningAttemptFailed(long webhookId, long alertId, int attempt, int maxAttempts, string error);

    [LoggerMessage(Level = LogLevel.Error, Message = "Webhook {WebhookId}: alert {AlertId} put on the dead-letter list after {Attempts} attempts.")]
    private partial void LogErrorDeadLettered(long webhookId, long alertId, int attempts);

    [LoggerMessage(Level = LogLevel.Error, Message = "Webhook dispatch failed; retrying at the next alert or poll.")]
    private partial void LogErrorDispatchFailed(Exception exception);
}
