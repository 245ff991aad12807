using Microsoft.Data.Sqlite;

namespace ApiPipeline;

/// <summary>
/// The embedded default state store: one SQLite file (WAL journal, <c>synchronous=FULL</c>), created on first use. Every
/// <see cref="CommitAsync"/> is one transaction. A file that is not a readable state database fails loudly with its path.
/// </summary>
public sealed class SqliteStateStore : IStateStore
{
    private const int SchemaVersion = 1;
    private readonly SqliteConnection _connection;
    private readonly SemaphoreSlim _gate = new(1, 1);

    private SqliteStateStore(string path, SqliteConnection connection)
    {
        Location = path;
        Identity = RealPath.Of(path);
        _connection = connection;
    }

    /// <inheritdoc/>
    public string Location { get; }

    /// <summary>The file's path with symbolic links resolved: one file opened through a linked folder is the same store.</summary>
    public string Identity { get; }

    /// <summary>Opens (or creates) the state file at <paramref name="path"/>.</summary>
    /// <param name="path">The file, e.g. <c>out/.state/pipeline.db</c>; its folder is created if missing.</param>
    /// <param name="cancellationToken">Cancels the open.</param>
    /// <exception cref="StateStoreException">The file exists but is not a readable state database, the path is a folder, or its folder cannot be created.</exception>
    public static async Task<SqliteStateStore> OpenAsync(string path, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        path = Path.GetFullPath(path);
        if (Directory.Exists(path))
        {
            throw new StateStoreException($"'{path}' is a folder; give the path of the state file (e.g. '{Path.Combine(path, "state.db")}'), which is created if missing.");
        }

        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // A part of the path is a file (a typo such as 'out.txt/state.db'), or the folder cannot be made here.
            throw new StateStoreException($"The folder of the state file '{path}' cannot be created ({ex.Message}); give a path under a folder you can write to.", ex);
        }

        if (!IsDatabaseOrNothing(path))
        {
            // SQLite would make a small file of something else into a new database; a state file given by mistake stays as it is.
            throw new StateStoreException($"The file '{path}' is not a state database (an SQLite file); give the path of one, or move this file away to start over with a new one.");
        }

        var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);

            // An SQLite file of something else (a typo in --state naming another application's database) is
            // left as it is: refused before anything (even the journal mode) is changed in it.
            var foreign = await ScalarAsync(connection, "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT IN ('meta', 'state') AND name NOT LIKE 'sqlite_%' ORDER BY name LIMIT 1;", cancellationToken).ConfigureAwait(false);
            if (foreign is { Length: > 0 })
            {
                throw new StateStoreException($"The file '{path}' is an SQLite database of something else (it has a table '{foreign}'), not a state file; give the path of a state file, or a new one.");
            }

            await ExecuteAsync(connection, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;", cancellationToken).ConfigureAwait(false);
            var check = await ScalarAsync(connection, "PRAGMA quick_check;", cancellationToken).ConfigureAwait(false);
            if (!string.Equals(check, "ok", StringComparison.OrdinalIgnoreCase))
            {
                throw new StateStoreException($"The state file '{path}' is corrupt ({check}). Restore it from a backup, or move it away to start over from scratch.");
            }

            await ExecuteAsync(
                connection,
                """
                CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
                CREATE TABLE IF NOT EXISTS state (scope TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, updated_at TEXT NOT NULL, PRIMARY KEY (scope, key));
                INSERT OR IGNORE INTO meta (key, value) VALUES ('schema_version', '1');
                """,
                cancellationToken).ConfigureAwait(false);
            var version = await ScalarAsync(connection, "SELECT value FROM meta WHERE key = 'schema_version';", cancellationToken).ConfigureAwait(false);
            if (version != SchemaVersion.ToString(System.Globalization.CultureInfo.InvariantCulture))
            {
                throw new StateStoreException($"The state file '{path}' has schema version {version}; this version of ApiPipeline reads version {SchemaVersion}.");
            }

            return new SqliteStateStore(path, connection);
        }
        catch (SqliteException ex)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw new StateStoreException($"The state file '{path}' cannot be opened as a state database: {ex.Message}. Restore it from a backup, or move it away to start over from scratch.", ex);
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Whether <paramref name="path"/> does not exist, is empty, or starts with SQLite's header.</summary>
    private static bool IsDatabaseOrNothing(string path)
    {
        if (!File.Exists(path))
        {
            return true;
        }

        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        Span<byte> header = stackalloc byte[16];
        int read = file.ReadAtLeast(header, header.Length, throwOnEndOfStream: false);
        return read == 0 || (read == header.Length && header.SequenceEqual("SQLite format 3\0"u8));
    }

    /// <inheritdoc/>
    public async ValueTask<string?> GetAsync(string scope, string key, CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var command = _connection.CreateCommand();
            command.CommandText = "SELECT value FROM state WHERE scope = $scope AND key = $key;";
            command.Parameters.AddWithValue("$scope", scope);
            command.Parameters.AddWithValue("$key", key);
            return await Guard(async () => (string?)await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false)).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc/>
    public async ValueTask<IReadOnlyList<KeyValuePair<string, string>>> GetScopeAsync(string scope, CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var command = _connection.CreateCommand();
            command.CommandText = "SELECT key, value FROM state WHERE scope = $scope ORDER BY key;";
            command.Parameters.AddWithValue("$scope", scope);
            return await Guard(async () =>
            {
                var list = new List<KeyValuePair<string, string>>();
                using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    list.Add(new(reader.GetString(0), reader.GetString(1)));
                }

                return (IReadOnlyList<KeyValuePair<string, string>>)list;
            }).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc/>
    public async ValueTask<IReadOnlyList<string>> GetScopesAsync(string prefix = "", CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var command = _connection.CreateCommand();
            command.CommandText = "SELECT DISTINCT scope FROM state WHERE substr(scope, 1, length($prefix)) = $prefix ORDER BY scope;";
            command.Parameters.AddWithValue("$prefix", prefix);
            return await Guard(async () =>
            {
                var list = new List<string>();
                using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    list.Add(reader.GetString(0));
                }

                return (IReadOnlyList<string>)list;
            }).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc/>
    public async ValueTask CommitAsync(StateChange change, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(change);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await Guard(async () =>
            {
                using var transaction = _connection.BeginTransaction();
                string now = DateTimeOffset.UtcNow.ToString("O", System.Globalization.CultureInfo.InvariantCulture);
                foreach (var op in change.Operations)
                {
                    using var command = _connection.CreateCommand();
                    command.Transaction = transaction;
                    command.Parameters.AddWithValue("$scope", op.Scope);
                    switch (op.Kind)
                    {
                        case StateOperationKind.Put:
                            command.CommandText = "INSERT INTO state (scope, key, value, updated_at) VALUES ($scope, $key, $value, $now) ON CONFLICT (scope, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at;";
                            command.Parameters.AddWithValue("$key", op.Key);
                            command.Parameters.AddWithValue("$value", op.Value);
                            command.Parameters.AddWithValue("$now", now);
                            break;
                        case StateOperationKind.Delete:
                            command.CommandText = "DELETE FROM state WHERE scope = $scope AND key = $key;";
                            command.Parameters.AddWithValue("$key", op.Key);
                            break;
                        case StateOperationKind.DeleteScope:
                            command.CommandText = "DELETE FROM state WHERE scope = $scope;";
                            break;
                    }

                    await command.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false);
                }

                await transaction.CommitAsync(CancellationToken.None).ConfigureAwait(false);
                return true;
            }).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        await _connection.DisposeAsync().ConfigureAwait(false);
        _gate.Dispose();
    }

    private async Task<T> Guard<T>(Func<Task<T>> action)
    {
        try
        {
            return await action().ConfigureAwait(false);
        }
        catch (SqliteException ex)
        {
            throw new StateStoreException($"The state file '{Location}' could not be read or written: {ex.Message}", ex);
        }
    }

    private static async Task ExecuteAsync(SqliteConnection connection, string sql, CancellationToken cancellationToken)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static async Task<string?> ScalarAsync(SqliteConnection connection, string sql, CancellationToken cancellationToken)
    {
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToString(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture);
    }
}
