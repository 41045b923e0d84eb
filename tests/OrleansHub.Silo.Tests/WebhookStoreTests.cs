using FluentAssertions;
using Microsoft.Data.Sqlite;
using OrleansHub.Silo.Storage;

namespace OrleansHub.Silo.Tests;

public sealed class WebhookStoreTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("orleanshub-hookstore-").FullName;

    private string DbPath => Path.Combine(_dir, "catalogue.db");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Webhook_StartsAtTheNewestAlert_AdvancesWithDeadLetters_AndDeletesWithThem()
    {
        await using var store = await SqliteCatalogueStore.OpenAsync(DbPath);
        await store.AppendAlertsAsync([(1, "hub-emerged", "{}"), (1, "hub-receded", "{}")]);

        var hook = await store.AddWebhookAsync("http://127.0.0.1:9/hook", "secret-0123456789abcdef", ["hub-emerged"]);
        hook.Cursor.Should().Be(2);
        await store.AppendAlertsAsync([(2, "hub-emerged", "{}"), (2, "hub-emerged", "{}")]);

        (await store.AdvanceWebhookAsync(hook.Id, 3, null)).Should().BeTrue();
        (await store.AdvanceWebhookAsync(hook.Id, 4, (5, "HTTP 500"))).Should().BeTrue();

        var stored = (await store.WebhooksAsync()).Should().ContainSingle().Subject;
        stored.Should().BeEquivalentTo(hook with { Cursor = 4 }, o => o.Excluding(h => h.CreatedAt));
        var letter = (await store.DeadLettersAsync(hook.Id)).Should().ContainSingle().Subject;
        (letter.AlertId, letter.Attempts, letter.LastError).Should().Be((4L, 5, "HTTP 500"));

        (await store.DeleteWebhookAsync(hook.Id)).Should().BeTrue();
        (await store.DeleteWebhookAsync(hook.Id)).Should().BeFalse();
        (await store.AdvanceWebhookAsync(hook.Id, 5, (1, "late"))).Should().BeFalse();
        (await store.DeadLettersAsync(hook.Id)).Should().BeEmpty();
        (await store.WebhooksAsync()).Should().BeEmpty();
    }

    [Fact]
    public async Task Open_SchemaOneFile_MigratesToSchemaTwoKeepingItsData()
    {
        await using (var store = await SqliteCatalogueStore.OpenAsync(DbPath))
        {
            await store.AppendAsync([new PendingEvent("insert", [1], [])]);
        }

        await using (var raw = new SqliteConnection($"Data Source={DbPath};Pooling=False"))
        {
            await raw.OpenAsync();
            using var command = raw.CreateCommand();
            command.CommandText = "DROP TABLE webhooks; DROP TABLE webhook_dead_letters; PRAGMA user_version = 1;";
            await command.ExecuteNonQueryAsync();
        }

        await using var reopened = await SqliteCatalogueStore.OpenAsync(DbPath);
        (await reopened.LastSequenceAsync()).Should().Be(1);
        var hook = await reopened.AddWebhookAsync("https://receiver.example/hook", "secret-0123456789abcdef", []);
        (await reopened.WebhooksAsync()).Should().ContainSingle().Which.Id.Should().Be(hook.Id);
    }
}
