using System.Threading.Channels;
using Microsoft.AspNetCore.Http;

namespace ApiPipeline.Tests;

public sealed class ResumeAndStreamingTests(ApiFixture fixture) : ApiTests(fixture), IClassFixture<ApiFixture>
{
    /// <summary>Three cursor pages: 1–3 → c2, 4–6 → c3, 7–8 (last).</summary>
    private static RequestDelegate ThreeCursorPages => ctx => Reply.Json(ctx, ctx.Request.Query["cursor"].ToString() switch
    {
        "" => $$$"""{"data":{{{Body.Items(1, 2, 3)}}},"meta":{"next_cursor":"c2"}}""",
        "c2" => $$$"""{"data":{{{Body.Items(4, 5, 6)}}},"meta":{"next_cursor":"c3"}}""",
        "c3" => $$$"""{"data":{{{Body.Items(7, 8)}}},"meta":{}}""",
        _ => """{"data":[]}""",
    });

    [Fact]
    public async Task Resumes_from_a_checkpoint_and_yields_exactly_the_remaining_records()
    {
        var input = Map("resume-cursor", ThreeCursorPages);
        var extractor = new CursorItems(At);

        PageCheckpoint? checkpoint = null;
        await foreach (var page in extractor.ExtractPagesAsync(input))
        {
            checkpoint = page.Next;
            break; // the run "crashes" after page 1
        }

        Assert.Equal(new PageCheckpoint(Url("/resume-cursor/items?limit=3&cursor=c2"), 2, 3) { BaseUrl = Url("") }, checkpoint);
        int before = Requests("resume-cursor").Count;

        var rest = await new CursorItems(At).PagesAsync(input, resumeFrom: checkpoint);

        Assert.Equal([4, 5, 6, 7, 8], rest.Ids());
        Assert.Equal([2, 3], rest.Select(p => p.Number));
        Assert.Equal(["/resume-cursor/items?limit=3&cursor=c2", "/resume-cursor/items?limit=3&cursor=c3"], Targets("resume-cursor").Skip(before));
    }

    [Fact]
    public async Task A_resumed_offset_run_keeps_counting_records_for_MaxRecords()
    {
        var input = Map("resume-offset", ctx =>
        {
            long offset = long.Parse(ctx.Request.Query["offset"]!);
            return Reply.Json(ctx, $$$"""{"data":{{{Body.Items(Body.Ids(offset + 1, 3))}}}}""");
        });
        var extractor = new OffsetItems(At with { MaxRecords = 7 });

        Page<Item>? first = null;
        await foreach (var page in extractor.ExtractPagesAsync(input))
        {
            first = page;
            break;
        }

        var rest = await extractor.PagesAsync(input, resumeFrom: first!.Next);

        Assert.Equal([1, 2, 3], first.Ids());
        Assert.Equal([4, 5, 6, 7], rest.Ids());
        Assert.Equal(["0", "3", "6"], Requests("resume-offset").Select(r => r.Q("offset")));
    }

    [Fact]
    public async Task A_relative_checkpoint_url_is_rejected()
    {
        var input = Map("resume-relative", ThreeCursorPages);

        var ex = await Assert.ThrowsAsync<ArgumentException>(() => new CursorItems(At).PagesAsync(input, new PageCheckpoint("/resume-relative/items?api_key=s3cr3t", 2, 3)));

        Assert.Contains("not absolute", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cr3t", ex.Message, StringComparison.Ordinal);
        Assert.Empty(Requests("resume-relative"));
    }

    [Fact]
    public async Task ExtractAsync_streams_every_record_in_order()
    {
        var input = Map("stream-async", ThreeCursorPages);

        var ids = new List<long>();
        await foreach (var item in new CursorItems(At).ExtractAsync(input))
        {
            ids.Add(item.Id);
        }

        Assert.Equal([1, 2, 3, 4, 5, 6, 7, 8], ids);
        Assert.Equal(3, Requests("stream-async").Count);
    }

    [Fact]
    public async Task ExtractToAsync_writes_every_record_in_order_through_a_small_channel_and_leaves_it_open()
    {
        var input = Map("stream-channel", ThreeCursorPages);
        var channel = Channel.CreateBounded<Item>(2);
        var read = Task.Run(async () =>
        {
            var ids = new List<long>();
            await foreach (var item in channel.Reader.ReadAllAsync())
            {
                ids.Add(item.Id);
            }

            return ids;
        });

        await new CursorItems(At).ExtractToAsync(input, channel.Writer).WithDeadline();

        Assert.True(channel.Writer.TryComplete(), "ExtractToAsync must not complete the writer");
        Assert.Equal([1, 2, 3, 4, 5, 6, 7, 8], await read.WithDeadline());
    }

    [Fact]
    public async Task Cancelling_stops_the_extraction()
    {
        var page2 = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var input = Map("stream-cancel", ctx =>
        {
            if (ctx.Request.Query["cursor"] != "c2")
            {
                return ThreeCursorPages(ctx);
            }

            page2.TrySetResult();
            return Reply.Hang(ctx);
        });
        using var cts = new CancellationTokenSource();

        var ids = new List<long>();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var item in new CursorItems(At).ExtractAsync(input, cts.Token))
            {
                ids.Add(item.Id);
                if (ids.Count == 3)
                {
                    _ = page2.Task.ContinueWith(_ => cts.Cancel(), TaskScheduler.Default);
                }
            }
        }).WithDeadline();

        Assert.Equal([1, 2, 3], ids);
        Assert.Equal(2, Requests("stream-cancel").Count);
    }
}
