namespace ApiPipeline.Tests;

public sealed class JsonlOutputTests : IDisposable
{
    private readonly TempDirectory _temp = new();

    public void Dispose() => _temp.Dispose();

    private JsonlOutput<Item> Output(Func<Item, DateTimeOffset?>? partitionBy = null, string name = "items")
        => new(TestJson.Default.Item, new JsonlOutputOptions<Item> { Directory = _temp.Path, Name = name, PartitionBy = partitionBy });

    private string Read(string relative) => File.ReadAllText(Path.Combine(_temp.Path, relative));

    private static readonly DateTimeOffset Jan1 = new(2024, 1, 1, 10, 0, 0, TimeSpan.Zero);

    [Fact]
    public async Task Writes_one_compact_snake_case_object_per_line()
    {
        await using var output = Output();
        Item[] items = [new(1, "one"), new(2, "two \"quoted\" é", Jan1), new(3, "line\nbreak")];

        await output.WriteAsync(items);
        Assert.Equal(3, output.PendingRecords);
        var commit = await output.CommitAsync();

        Assert.Equal(["items/part-00001.jsonl"], _temp.Files());
        string text = Read("items/part-00001.jsonl");
        Assert.Equal(
            "{\"id\":1,\"name\":\"one\"}\n" +
            "{\"id\":2,\"name\":\"two \\u0022quoted\\u0022 \\u00E9\",\"created_at\":\"2024-01-01T10:00:00+00:00\"}\n" +
            "{\"id\":3,\"name\":\"line\\nbreak\"}\n",
            text);
        Assert.Equal(items, text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => System.Text.Json.JsonSerializer.Deserialize(l, TestJson.Default.Item)));
        Assert.Equal(3, commit.Records);
        Assert.Equal(new FileInfo(Path.Combine(_temp.Path, "items/part-00001.jsonl")).Length, commit.Bytes);
        Assert.Equal([Path.Combine(_temp.Path, "items", "part-00001.jsonl")], commit.Files);
        Assert.Equal(0, output.PendingRecords);
        Assert.Equal(0, output.PendingBytes);
        Assert.Equal(Path.Combine(_temp.Path, "items"), output.RootDirectory);
    }

    [Fact]
    public async Task Recovery_of_a_consumed_batch_never_publishes_a_later_batch_that_took_its_part_number()
    {
        await using (var first = Output())
        {
            await first.WriteAsync(new Item[] { new(1, "committed") });
            var recorded = await first.PrepareCommitAsync();
            await first.CompleteCommitAsync(recorded);
            File.Delete(Path.Combine(_temp.Path, "items", "part-00001.jsonl")); // a loader takes the landed file away

            // The next run recovers (the batch was consumed), writes, and dies before preparing: its batch is part 1 again.
            await using (var second = Output())
            {
                await second.RecoverAsync("items", recorded);
                await second.WriteAsync(new Item[] { new(2, "never committed") });
                Assert.Matches(@"^items/\.part-00001\.", Assert.Single(_temp.Files()));

                // The run after it recovers from the last recorded batch, still the first one.
                await using var third = Output();
                await third.RecoverAsync("items", recorded);
            }
        }

        Assert.Empty(_temp.Files());
    }

    [Fact]
    public async Task Recovery_forgets_what_the_same_instance_wrote_and_did_not_commit()
    {
        // A run on this instance wrote a batch and failed before its commit; the next run on it starts with a recovery.
        await using var output = Output(i => i.CreatedAt);
        await output.WriteAsync(new Item[] { new(1, "lost with its run", Jan1), new(2, "lost too", null) });

        await output.RecoverAsync("items", null);
        Assert.Equal((0L, 0L), (output.PendingRecords, output.PendingBytes));
        Assert.Empty(_temp.Files());
        await output.WriteAsync(new Item[] { new(3, "kept", Jan1) });
        var commit = await output.CommitAsync();

        Assert.Equal(["items/date=2024-01-01/part-00001.jsonl"], _temp.Files());
        Assert.Equal("{\"id\":3,\"name\":\"kept\",\"created_at\":\"2024-01-01T10:00:00+00:00\"}\n", Read("items/date=2024-01-01/part-00001.jsonl"));
        Assert.Equal(1, commit.Records);
    }

    [Fact]
    public async Task A_write_that_fails_part_way_leaves_nothing_of_its_records()
    {
        await using var output = Output(i => i.Id == 3 ? throw new InvalidOperationException("bad partition") : i.CreatedAt);
        await output.WriteAsync(new Item[] { new(1, "kept", Jan1) });

        await Assert.ThrowsAsync<InvalidOperationException>(() => output.WriteAsync(new Item[] { new(2, "a", Jan1), new(3, "b", Jan1) }).AsTask());
        Assert.Equal(1, output.PendingRecords);
        await output.CommitAsync();

        Assert.Equal("{\"id\":1,\"name\":\"kept\",\"created_at\":\"2024-01-01T10:00:00+00:00\"}\n", Read("items/date=2024-01-01/part-00001.jsonl"));
    }

    [Fact]
    public async Task As_a_page_sink_an_aborted_page_is_cut_off_and_its_new_partitions_vanish()
    {
        await using var output = Output(i => i.CreatedAt);
        IPageSink<Item> sink = output;

        sink.BeginPage();
        sink.Add(new(1, "a", Jan1));
        sink.Add(new(2, "b", Jan1));
        await sink.EndPageAsync(new PageInfo(1, "u1", 2, 10, null));
        Assert.Equal(2, output.PendingRecords);
        long bytesAfterPage1 = output.PendingBytes;

        // The page writes to the open partition and opens a new one, then fails: none of it stays.
        sink.BeginPage();
        sink.Add(new(3, "c", Jan1));
        sink.Add(new(4, "d", Jan1.AddDays(1)));
        Assert.Equal(2, output.PendingRecords);
        sink.AbortPage();
        Assert.Equal(bytesAfterPage1, output.PendingBytes);

        sink.BeginPage();
        sink.Add(new(5, "e", Jan1));
        await sink.EndPageAsync(new PageInfo(2, "u2", 1, 10, null));
        var commit = await output.CommitAsync();

        Assert.Equal(["items/date=2024-01-01/part-00001.jsonl"], _temp.Files());
        Assert.False(Directory.Exists(Path.Combine(_temp.Path, "items", "date=2024-01-02")));
        Assert.Equal(["1", "2", "5"], Ids("items/date=2024-01-01/part-00001.jsonl"));
        Assert.Equal(3, commit.Records);
        Assert.Equal(new FileInfo(Path.Combine(_temp.Path, "items/date=2024-01-01/part-00001.jsonl")).Length, commit.Bytes);

        // A later page may open the partition the aborted page had opened; it gets the first part number.
        sink.BeginPage();
        sink.Add(new(6, "f", Jan1.AddDays(1)));
        await sink.EndPageAsync(new PageInfo(3, "u3", 1, 10, null));
        await output.CommitAsync();
        Assert.Equal(["6"], Ids("items/date=2024-01-02/part-00001.jsonl"));
    }

    [Fact]
    public async Task Partitions_by_utc_date_with_unknown_for_records_without_a_date()
    {
        await using var output = Output(i => i.CreatedAt);
        var lateOnJan1InBrazil = new DateTimeOffset(2024, 1, 1, 23, 30, 0, TimeSpan.FromHours(-3)); // 2024-01-02 02:30 UTC

        await output.WriteAsync(new Item[] { new(1, "a", Jan1), new(2, "b", lateOnJan1InBrazil), new(3, "c"), new(4, "d", Jan1.AddHours(5)) });
        var commit = await output.CommitAsync();

        Assert.Equal(["items/date=2024-01-01/part-00001.jsonl", "items/date=2024-01-02/part-00001.jsonl", "items/date=unknown/part-00001.jsonl"], _temp.Files());
        Assert.Equal(3, commit.Files.Count);
        Assert.Equal(4, commit.Records);
        Assert.Equal(["1", "4"], Ids("items/date=2024-01-01/part-00001.jsonl"));
        Assert.Equal(["2"], Ids("items/date=2024-01-02/part-00001.jsonl"));
        Assert.Equal(["3"], Ids("items/date=unknown/part-00001.jsonl"));
    }

    [Fact]
    public async Task Partitions_by_a_DateTime_as_a_files_partition_by_does_in_any_time_zone()
    {
        // As if the machine were 5 hours ahead of UTC: a date without a kind (System.Text.Json reads "2024-01-02T02:00:00" so) is UTC,
        // as a file's partition_by takes it (RecordTime), not 21:00 UTC the day before, as C#'s DateTime to DateTimeOffset conversion
        // would make it there; a local one is converted to UTC; a UTC one is taken as it is.
        var fiveAhead = TimeZoneInfo.CreateCustomTimeZone("Test+05", TimeSpan.FromHours(5), "Test+05", "Test+05");
        var twoAm = new DateTime(2024, 1, 2, 2, 0, 0, DateTimeKind.Unspecified);
        await using var output = new JsonlOutput<Item>(TestJson.Default.Item, new JsonlOutputOptions<Item>
        {
            Directory = _temp.Path,
            Name = "items",
            PartitionByDateTime = i => i.Id switch
            {
                1 => twoAm,
                2 => DateTime.SpecifyKind(twoAm, DateTimeKind.Local),
                3 => DateTime.SpecifyKind(twoAm, DateTimeKind.Utc),
                _ => null,
            },
        })
        { LocalTimeZone = fiveAhead };

        await output.WriteAsync(new Item[] { new(1, "a"), new(2, "b"), new(3, "c"), new(4, "d") });
        await output.CommitAsync();

        Assert.Equal(["items/date=2024-01-01/part-00001.jsonl", "items/date=2024-01-02/part-00001.jsonl", "items/date=unknown/part-00001.jsonl"], _temp.Files());
        Assert.Equal(["1", "3"], Ids("items/date=2024-01-02/part-00001.jsonl"));
        Assert.Equal(["2"], Ids("items/date=2024-01-01/part-00001.jsonl"));
        Assert.Equal(["4"], Ids("items/date=unknown/part-00001.jsonl"));
    }

    [Fact]
    public void Rejects_both_partition_settings_at_once()
    {
        var both = new JsonlOutputOptions<Item> { Directory = _temp.Path, Name = "items", PartitionBy = i => i.CreatedAt, PartitionByDateTime = _ => DateTime.UnixEpoch };

        var error = Assert.Throws<ArgumentException>(() => new JsonlOutput<Item>(TestJson.Default.Item, both));

        Assert.Contains("PartitionByDateTime", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Each_commit_makes_a_new_part_per_partition()
    {
        await using var output = Output(i => i.CreatedAt);

        await output.WriteAsync(new Item[] { new(1, "a", Jan1) });
        await output.CommitAsync();
        await output.WriteAsync(new Item[] { new(2, "b", Jan1), new(3, "c") });
        await output.CommitAsync();

        Assert.Equal(["items/date=2024-01-01/part-00001.jsonl", "items/date=2024-01-01/part-00002.jsonl", "items/date=unknown/part-00001.jsonl"], _temp.Files());
    }

    [Fact]
    public async Task Numbering_continues_after_the_files_of_an_earlier_run()
    {
        await using (var first = Output())
        {
            await first.WriteAsync(new Item[] { new(1, "a") });
            await first.CommitAsync();
            await first.WriteAsync(new Item[] { new(2, "b") });
            await first.CommitAsync();
        }

        await using (var second = Output())
        {
            await second.WriteAsync(new Item[] { new(3, "c") });
            await second.CommitAsync();
        }

        Assert.Equal(["items/part-00001.jsonl", "items/part-00002.jsonl", "items/part-00003.jsonl"], _temp.Files());
        Assert.Equal(["3"], Ids("items/part-00003.jsonl"));
    }

    [Fact]
    public async Task Nothing_is_visible_before_commit_and_no_temp_file_remains_after()
    {
        await using var output = Output();

        await output.WriteAsync(new Item[] { new(1, "a"), new(2, "b") });

        Assert.Empty(_temp.Files("*.jsonl"));
        Assert.Matches(@"^items/\.part-00001\.[0-9a-f]{16}\.[0-9a-f]{8}\.jsonl\.tmp$", Assert.Single(_temp.Files()));
        Assert.Equal(2, output.PendingRecords);
        Assert.True(output.PendingBytes > 0);

        await output.CommitAsync();

        Assert.Equal(["items/part-00001.jsonl"], _temp.Files());
        Assert.Empty(_temp.Files("*.tmp"));
    }

    [Fact]
    public async Task A_commit_with_nothing_pending_writes_nothing()
    {
        await using var output = Output();

        var commit = await output.CommitAsync();

        Assert.Empty(commit.Files);
        Assert.Equal(0, commit.Records);
        Assert.Equal(0, commit.Bytes);
        Assert.Empty(_temp.Files());
    }

    [Fact]
    public async Task Dispose_without_commit_deletes_the_temp_files()
    {
        var output = Output(i => i.CreatedAt);
        await output.WriteAsync(new Item[] { new(1, "a", Jan1), new(2, "b") });
        Assert.Equal(2, _temp.Files("*.tmp").Length);

        await output.DisposeAsync();

        Assert.Empty(_temp.Files());
    }

    /// <summary>
    /// A writer that already numbered a folder (an output object reused by a second chain run, which does not recover) counts the
    /// folder's parts again at every new part: it does not take the part number of a batch another writer recorded there since (a chain
    /// id that stopped before renaming), whose roll-forward then renames its file.
    /// </summary>
    [Fact]
    public async Task A_reused_writer_does_not_take_the_part_number_of_another_writers_waiting_batch()
    {
        await using var reused = Output();
        await reused.WriteAsync(new Item[] { new(1, "first run") });
        await reused.CommitAsync();

        PreparedCommit waiting;
        await using (var other = Output())
        {
            await other.WriteAsync(new Item[] { new(2, "other id, recorded") });
            waiting = await other.PrepareCommitAsync(); // recorded by the state store, then the process stopped
        }

        await reused.WriteAsync(new Item[] { new(3, "second run") });
        await reused.CommitAsync();

        var error = Record.Exception(() => JsonlOutput<Item>.RollForward(waiting));
        Assert.Null(error);
        var all = Directory.EnumerateFiles(Path.Combine(_temp.Path, "items"), "*.jsonl").SelectMany(File.ReadLines).Count();
        Assert.Equal(3, all);
    }

    [Fact]
    public async Task A_writer_leaves_the_temporary_parts_it_finds_and_numbers_after_them_and_recovery_removes_only_its_owners()
    {
        // Temporary parts in the folder may be a batch another owner of it recorded and has not renamed yet (a chain id of the same chain
        // file that stopped there): a writer neither deletes them nor takes their numbers; an owner's recovery removes its own only.
        string folder = Path.Combine(_temp.Path, "items");
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "part-00001.jsonl"), "{\"id\":1,\"name\":\"a\"}\n");
        string own = $".part-00002.{OwnerTag.Of("items/acme")}.0badf00d.jsonl.tmp";
        string others = $".part-00007.{OwnerTag.Of("items/beta")}.0badf00d.jsonl.tmp";
        File.WriteAllText(Path.Combine(folder, own), "{\"id\":2,\"name\":\"half");
        File.WriteAllText(Path.Combine(folder, others), "{\"id\":7");

        await using (var output = Output())
        {
            await output.WriteAsync(new Item[] { new(3, "c") });
            await output.CommitAsync();
        }

        Assert.Equal(["3"], Ids("items/part-00008.jsonl"));
        Assert.Equal(2, Directory.EnumerateFiles(folder, ".part-*.jsonl.tmp").Count());

        await using (var recovering = Output())
        {
            await recovering.RecoverAsync("items/acme", null);
            await recovering.WriteAsync(new Item[] { new(4, "d") });
            Assert.Single(Directory.EnumerateFiles(folder, $".part-00009.{OwnerTag.Of("items/acme")}.*.jsonl.tmp"));
        }

        Assert.Equal([others], Directory.EnumerateFiles(folder, ".part-*.jsonl.tmp").Select(Path.GetFileName));
        Assert.Equal(["items/part-00001.jsonl", "items/part-00008.jsonl"], _temp.Files().Where(f => !f.Contains("/.part-", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Recovery_removes_the_partition_folders_it_emptied_and_no_other()
    {
        // A run killed before its commit left temporary parts in new date folders: recovery deletes them and the folders they alone
        // were in (as an aborted page does), but keeps a folder that still holds a committed part or another owner's, an empty folder
        // it did not empty, and the dataset's root.
        string root = Path.Combine(_temp.Path, "items");
        string mine = $".part-00001.{OwnerTag.Of("items")}.0badf00d.jsonl.tmp";
        foreach (var day in new[] { "date=2024-01-01", "date=2024-01-02", "date=2024-01-03" })
        {
            Directory.CreateDirectory(Path.Combine(root, day));
            File.WriteAllText(Path.Combine(root, day, mine), "{\"id\":1");
        }

        File.WriteAllText(Path.Combine(root, "date=2024-01-02", "part-00002.jsonl"), "{\"id\":2,\"name\":\"b\"}\n");
        string others = $".part-00001.{OwnerTag.Of("items/beta")}.0badf00d.jsonl.tmp";
        File.WriteAllText(Path.Combine(root, "date=2024-01-03", others), "{\"id\":3");
        Directory.CreateDirectory(Path.Combine(root, "date=2024-01-04"));
        File.WriteAllText(Path.Combine(root, mine), "{\"id\":5");

        await using (var output = Output())
        {
            await output.RecoverAsync("items", null);
        }

        Assert.Equal(["date=2024-01-02", "date=2024-01-03", "date=2024-01-04"], Directory.EnumerateDirectories(root).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Equal(["items/date=2024-01-02/part-00002.jsonl", $"items/date=2024-01-03/{others}"], _temp.Files());
    }

    [Fact]
    public async Task A_writer_given_its_owner_leaves_temporary_parts_that_the_owners_next_recovery_removes()
    {
        // A replay's writer (it never recovers the folder) killed before its commit: its parts are the owner's, so the owner's next run
        // removes them; an unowned writer's are not.
        var killed = Output();
        killed.WriteAs("items");
        await killed.WriteAsync(new Item[] { new(1, "a") });
        var unowned = Output();
        await unowned.WriteAsync(new Item[] { new(2, "b") });
        string[] before = _temp.Files();

        await using (var next = Output())
        {
            await next.RecoverAsync("items", null);
        }

        Assert.Equal(2, before.Length);
        Assert.Equal([before.Single(f => !f.Contains(OwnerTag.Of("items"), StringComparison.Ordinal))], _temp.Files());
        await killed.DisposeAsync();
        await unowned.DisposeAsync();
    }

    [Fact]
    public async Task A_batch_is_named_on_disk_before_it_is_recorded_and_its_renames_before_the_next_one()
    {
        // What each flush of a directory saw: the names in it then. A file's fsync makes its bytes durable, not its name.
        var flushes = new List<(string Directory, string[] Names)>();
        JsonlOutput<Item> Observed() => new(TestJson.Default.Item, new JsonlOutputOptions<Item> { Directory = _temp.Path, Name = "items", PartitionBy = i => i.CreatedAt })
        {
            FlushDirectory = directory =>
            {
                flushes.Add((Path.GetRelativePath(_temp.Path, directory), [.. Directory.EnumerateFileSystemEntries(directory).Select(Path.GetFileName).Order(StringComparer.Ordinal)!]));
                DurableDirectory.Flush(directory);
            },
        };

        await using var output = Observed();
        await output.WriteAsync(new Item[] { new(1, "a", Jan1), new(2, "b") });
        var first = await output.PrepareCommitAsync();

        // Each new folder in its parent (the output made items/ and both date folders), each temporary file in its folder.
        Assert.Equal([".", "items", "items/date=2024-01-01", "items/date=unknown"], flushes.Select(f => f.Directory.Replace('\\', '/')));
        Assert.Equal(["items"], flushes[0].Names);
        Assert.Equal(["date=2024-01-01", "date=unknown"], flushes[1].Names);
        Assert.Equal([TempIn("date=2024-01-01", first)], flushes[2].Names);
        Assert.Equal([TempIn("date=unknown", first)], flushes[3].Names);

        flushes.Clear();
        await output.CompleteCommitAsync(first);
        Assert.Empty(flushes); // the renames reach the disk with the next preparation, before the next batch is recorded

        await output.WriteAsync(new Item[] { new(3, "c", Jan1) });
        var second = await output.PrepareCommitAsync();
        Assert.Equal(["items/date=2024-01-01", "items/date=unknown"], flushes.Select(f => f.Directory.Replace('\\', '/')));
        Assert.Equal([TempIn("date=2024-01-01", second), "part-00001.jsonl"], flushes[0].Names);
        Assert.Equal(["part-00001.jsonl"], flushes[1].Names);

        // A later run rolls the last recorded batch forward and flushes its folders before it records anything.
        flushes.Clear();
        await using var next = Observed();
        await next.RecoverAsync("items", second);
        Assert.Equal(["items/date=2024-01-01"], flushes.Select(f => f.Directory.Replace('\\', '/')));
        Assert.Equal(["part-00001.jsonl", "part-00002.jsonl"], flushes[0].Names);

        static string TempIn(string folder, PreparedCommit batch)
            => Path.GetFileName(batch.Files.Single(f => Path.GetFileName(Path.GetDirectoryName(f.TempPath)) == folder).TempPath);
    }

    [Fact]
    public async Task A_folder_a_loader_took_away_between_commits_is_not_flushed()
    {
        var flushed = new List<string>();
        await using var output = new JsonlOutput<Item>(TestJson.Default.Item, new JsonlOutputOptions<Item> { Directory = _temp.Path, Name = "items", PartitionBy = i => i.CreatedAt })
        {
            FlushDirectory = flushed.Add,
        };
        await output.WriteAsync(new Item[] { new(1, "a", Jan1) });
        await output.CommitAsync();
        Directory.Delete(Path.Combine(_temp.Path, "items", "date=2024-01-01"), recursive: true);
        flushed.Clear();

        await output.WriteAsync(new Item[] { new(2, "b") });
        await output.CommitAsync();

        Assert.Equal([Path.Combine(_temp.Path, "items"), Path.Combine(_temp.Path, "items", "date=unknown")], flushed);
    }

    [Theory]
    [InlineData("items/date=2024-01-01")]
    [InlineData("items")]
    public async Task A_folder_a_loader_took_away_between_commits_is_made_again_and_numbering_goes_on(string taken)
    {
        await using var output = Output(i => i.CreatedAt);
        await output.WriteAsync(new Item[] { new(1, "a", Jan1) });
        await output.CommitAsync();
        Directory.Delete(Path.Combine(_temp.Path, taken), recursive: true);

        await output.WriteAsync(new Item[] { new(2, "b", Jan1) });
        await output.CommitAsync();

        Assert.Equal(["items/date=2024-01-01/part-00002.jsonl"], _temp.Files());
        Assert.Equal(["2"], Ids("items/date=2024-01-01/part-00002.jsonl"));
    }

    [Fact]
    public void Flushing_a_directory_that_cannot_be_opened_names_it()
    {
        DurableDirectory.Flush(_temp.Path);
        string missing = Path.Combine(_temp.Path, "gone");
        if (!OperatingSystem.IsWindows())
        {
            var error = Assert.Throws<IOException>(() => DurableDirectory.Flush(missing));
            Assert.Contains(missing, error.Message);
        }
    }

    [Fact]
    public async Task A_batch_whose_temporary_file_another_writer_deleted_fails_its_commit_saying_so()
    {
        await using var output = Output();
        await output.WriteAsync(new Item[] { new(1, "a") });
        var prepared = await output.PrepareCommitAsync();
        File.Delete(prepared.Files[0].TempPath); // as a second run of the same owner starting on the folder does

        var error = await Assert.ThrowsAsync<IOException>(async () => await output.CompleteCommitAsync(prepared));

        Assert.Contains("neither it nor its temporary file", error.Message, StringComparison.Ordinal);
        Assert.Contains("run one at a time", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Rejects_a_missing_name()
        => Assert.Throws<ArgumentException>(() => new JsonlOutput<Item>(TestJson.Default.Item, new JsonlOutputOptions<Item> { Directory = _temp.Path, Name = " " }));

    private string[] Ids(string relative)
        => [.. Read(relative).Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement.GetProperty("id").GetRawText())];

    /// <summary>
    /// A preparation that failed when flushing the folders (an I/O error) is tried again by the next one with every file of the batch:
    /// the records it counts are in the files it names, and none is left behind as a temporary file for a recovery to delete.
    /// </summary>
    [Fact]
    public async Task A_preparation_tried_again_after_a_failed_folder_flush_still_names_the_batchs_files()
    {
        bool fail = true;
        await using var output = new JsonlOutput<Item>(TestJson.Default.Item, new JsonlOutputOptions<Item> { Directory = _temp.Path, Name = "items" })
        {
            FlushDirectory = directory =>
            {
                if (fail)
                {
                    fail = false;
                    throw new IOException("simulated disk error");
                }

                DurableDirectory.Flush(directory);
            },
        };
        await output.WriteAsync(new Item[] { new(1, "a"), new(2, "b") });
        await Assert.ThrowsAsync<IOException>(async () => await output.PrepareCommitAsync());

        var prepared = await output.PrepareCommitAsync();
        await output.CompleteCommitAsync(prepared);

        Assert.Equal(2, prepared.Records);
        Assert.Equal(["items/part-00001.jsonl"], _temp.Files());
        Assert.Equal(2, Read("items/part-00001.jsonl").Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }

    // A failed run's own uncommitted parts are discarded by the next recovery on the same instance, with their folders.
    [Fact]
    public async Task Recovery_removes_the_partition_folders_of_what_the_same_instance_wrote_and_did_not_commit()
    {
        using var temp = new TempDirectory();
        await using var output = new JsonlOutput<Item>(TestJson.Default.Item, new JsonlOutputOptions<Item> { Directory = temp.Path, Name = "items", PartitionBy = i => i.CreatedAt });
        await output.RecoverAsync("items", null);
        await output.WriteAsync(new Item[] { new(1, "lost with its run", new DateTimeOffset(2024, 1, 1, 10, 0, 0, TimeSpan.Zero)), new(2, "lost too", null) });
        string root = Path.Combine(temp.Path, "items");
        Assert.Equal(2, Directory.EnumerateDirectories(root).Count());

        await output.RecoverAsync("items", null); // the next run on this instance

        Assert.Empty(Directory.EnumerateFiles(root, "*", SearchOption.AllDirectories));
        Assert.Empty(Directory.EnumerateDirectories(root).Select(Path.GetFileName));
    }

    // Parallel chains share a dataset folder: one writer removing a partition folder it emptied must not fail the other, nor itself.
    [Fact]
    public async Task Writers_sharing_a_partition_folder_never_fail_when_the_other_discards_its_uncommitted_part()
    {
        using var temp = new TempDirectory();
        var day = new DateTimeOffset(2024, 1, 1, 10, 0, 0, TimeSpan.Zero);
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(3);
        var failures = new System.Collections.Concurrent.ConcurrentQueue<Exception>();
        int rounds = 0;

        async Task Writer(string owner)
        {
            while (DateTime.UtcNow < until && failures.IsEmpty)
            {
                try
                {
                    // A chain run of one key that fails before its commit: its part is discarded when its output is disposed.
                    await using var output = new JsonlOutput<Item>(TestJson.Default.Item, new JsonlOutputOptions<Item> { Directory = temp.Path, Name = "shared", PartitionBy = i => i.CreatedAt });
                    output.WriteAs(owner);
                    await output.WriteAsync(new Item[] { new(1, owner, day) });
                    Interlocked.Increment(ref rounds);
                }
                catch (Exception ex)
                {
                    failures.Enqueue(ex);
                }
            }
        }

        await Task.WhenAll(Task.Run(() => Writer("chain/a")), Task.Run(() => Writer("chain/b")));

        Assert.True(failures.IsEmpty, $"after {rounds} writes: {string.Join("; ", failures.Select(e => e.GetType().Name + ": " + e.Message))}");
    }
}
