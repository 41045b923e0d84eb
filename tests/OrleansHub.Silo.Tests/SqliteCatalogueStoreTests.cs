using FluentAssertions;
using OrleansHub.Silo.Storage;

namespace OrleansHub.Silo.Tests;

public sealed class SqliteCatalogueStoreTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("orleanshub-store-").FullName;

    private string DbPath => Path.Combine(_dir, "catalogue.db");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Append_ThenRead_ReturnsEventsInOrderWithGapFreeSequences()
    {
        await using var store = await SqliteCatalogueStore.OpenAsync(DbPath);
        (await store.LastSequenceAsync()).Should().Be(0);

        (await store.AppendAsync([E("insert", [1, 2, 3])])).Should().Equal(1);
        (await store.AppendAsync([E("insert", [4]), E("delete", []), E("batch", new byte[100_000])])).Should().Equal(2, 3, 4);

        var events = await ToList(store.ReadAfterAsync(0));
        events.Select(e => e.Sequence).Should().Equal(1, 2, 3, 4);
        events.Select(e => e.Type).Should().Equal("insert", "insert", "delete", "batch");
        events[0].Payload.Should().Equal(1, 2, 3);
        events[3].Payload.Should().HaveCount(100_000);
        (await ToList(store.ReadAfterAsync(2))).Select(e => e.Sequence).Should().Equal(3, 4);
        (await store.LastSequenceAsync()).Should().Be(4);
    }

    [Fact]
    public async Task Reopen_KeepsEveryAppendedEvent()
    {
        await using (var store = await SqliteCatalogueStore.OpenAsync(DbPath))
        {
            for (var i = 0; i < 20; i++)
            {
                await store.AppendAsync([E("insert", [(byte)i])]);
            }
        }

        await using var reopened = await SqliteCatalogueStore.OpenAsync(DbPath);
        (await reopened.LastSequenceAsync()).Should().Be(20);
        (await reopened.AppendAsync([E("insert", [99])])).Should().Equal(21);
        (await ToList(reopened.ReadAfterAsync(0))).Select(e => (int)e.Payload[0]).Should().Equal([.. Enumerable.Range(0, 20), 99]);
    }

    [Fact]
    public async Task ConcurrentAppends_GetUniqueGapFreeSequences()
    {
        await using var store = await SqliteCatalogueStore.OpenAsync(DbPath);
        var results = await Task.WhenAll(Enumerable.Range(0, 16).Select(i => store.AppendAsync([E("insert", [(byte)i]), E("insert", [(byte)i])])));
        var all = results.SelectMany(r => r).OrderBy(s => s).ToList();
        all.Should().Equal(Enumerable.Range(1, 32).Select(i => (long)i));
        results.Should().OnlyContain(r => r[1] == r[0] + 1, "the events of one call are contiguous");
    }

    [Fact]
    public async Task AppendWithInvalidEvent_StoresNothingOfThatCall()
    {
        await using var store = await SqliteCatalogueStore.OpenAsync(DbPath);
        await store.AppendAsync([E("insert", [1])]);
        var act = () => store.AppendAsync([E("insert", [2]), E(string.Empty, [3])]);
        await act.Should().ThrowAsync<ArgumentException>();
        (await store.LastSequenceAsync()).Should().Be(1);
        (await ToList(store.ReadAfterAsync(0))).Should().ContainSingle();
        (await store.AppendAsync([E("insert", [4])])).Should().Equal(2);
    }

    [Fact]
    public async Task SongIndex_ChangesCommitWithTheirEventsAndSurviveReopen()
    {
        await using (var store = await SqliteCatalogueStore.OpenAsync(DbPath))
        {
            await store.AppendAsync([new PendingEvent("insert", [1], [new SongIndexChange("a", "h1")]), new PendingEvent("insert", [2], [new SongIndexChange("b", "h2")])]);
            await store.AppendAsync([new PendingEvent("delete", [3], [new SongIndexChange("a", null)])]);
            var bad = () => store.AppendAsync([new PendingEvent("insert", [4], [new SongIndexChange("c", "h3")]), E(string.Empty, [5])]);
            await bad.Should().ThrowAsync<ArgumentException>();
        }

        await using var reopened = await SqliteCatalogueStore.OpenAsync(DbPath);
        (await reopened.LoadSongIndexAsync()).Should().BeEquivalentTo(new Dictionary<string, string> { ["b"] = "h2" });
    }

    [Fact]
    public async Task Alerts_GetGapFreeIdsAndPage()
    {
        await using var store = await SqliteCatalogueStore.OpenAsync(DbPath);
        (await store.LastAlertSequenceAsync()).Should().Be(0);
        var first = await store.AppendAlertsAsync([(5, "hub-emerged", "{}"), (5, "suspicious-upload", "{}")]);
        var second = await store.AppendAlertsAsync([(9, "hub-receded", "{}")]);
        first.Select(a => a.Id).Concat(second.Select(a => a.Id)).Should().Equal(1, 2, 3);
        (await store.ReadAlertsAfterAsync(1, 10)).Select(a => a.Type).Should().Equal("suspicious-upload", "hub-receded");
        (await store.ReadAlertsAfterAsync(0, 2)).Should().HaveCount(2);
        (await store.LastAlertSequenceAsync()).Should().Be(9);
    }

    [Fact]
    public async Task ApiKeyHashes_AreStoredOnce()
    {
        await using var store = await SqliteCatalogueStore.OpenAsync(DbPath);
        await store.AddApiKeyHashAsync("abc");
        await store.AddApiKeyHashAsync("abc");
        await store.AddApiKeyHashAsync("def");
        (await store.ApiKeyHashesAsync()).Should().BeEquivalentTo(["abc", "def"]);
    }

    [Fact]
    public async Task Snapshots_NewestFirstAndPrunedToKeep()
    {
        await using var store = await SqliteCatalogueStore.OpenAsync(DbPath);
        await store.AppendAsync(Enumerable.Range(0, 10).Select(i => E("insert", new[] { (byte)i })).ToList());
        await store.SaveSnapshotAsync(new StoredSnapshot(3, [3]), keep: 2);
        await store.SaveSnapshotAsync(new StoredSnapshot(6, [6]), keep: 2);
        await store.SaveSnapshotAsync(new StoredSnapshot(9, [9]), keep: 2);
        (await ToList(store.SnapshotsNewestFirstAsync())).Select(s => s.Sequence).Should().Equal(9, 6);
        (await ToList(store.SnapshotsNewestFirstAsync()))[0].State.Should().Equal(9);
    }

    [Fact]
    public async Task Snapshot_BeyondTheLog_IsRejected()
    {
        await using var store = await SqliteCatalogueStore.OpenAsync(DbPath);
        await store.AppendAsync([E("insert", [1])]);
        var act = () => store.SaveSnapshotAsync(new StoredSnapshot(5, [1]));
        await act.Should().ThrowAsync<ArgumentOutOfRangeException>();
    }

    [Fact]
    public async Task Open_FileFromNewerSchema_FailsClearly()
    {
        await using (var store = await SqliteCatalogueStore.OpenAsync(DbPath))
        {
            await store.AppendAsync([E("insert", [1])]);
        }

        await using (var raw = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={DbPath};Pooling=False"))
        {
            await raw.OpenAsync();
            using var command = raw.CreateCommand();
            command.CommandText = "PRAGMA user_version = 7;";
            await command.ExecuteNonQueryAsync();
        }

        var act = () => SqliteCatalogueStore.OpenAsync(DbPath);
        await act.Should().ThrowAsync<InvalidOperationException>().WithMessage("*newer OrleansHub (schema 7*");
    }

    private static PendingEvent E(string type, byte[] payload) => new(type, payload, []);

    private static async Task<List<T>> ToList<T>(IAsyncEnumerable<T> source)
    {
        var list = new List<T>();
        await foreach (var item in source)
        {
            list.Add(item);
        }

        return list;
    }
}
