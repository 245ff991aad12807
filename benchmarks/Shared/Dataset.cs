namespace ApiPipeline.Baselines;

// The records both benchmark projects use (linked into the load harness and the BenchmarkDotNet suite), so that the harness's
// server, its clients and the page benchmarks all handle the same ~540-byte GitHub-like issues.

/// <summary>A GitHub-like issue: about 540 bytes of JSON, the same in the server's pages and in the JSONL both clients write.</summary>
public sealed record Issue(
    long Id,
    int Number,
    string Title,
    string State,
    User User,
    List<Label> Labels,
    int Comments,
    string HtmlUrl,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    string AuthorAssociation,
    bool Locked,
    string Body);

/// <summary>An issue's author.</summary>
public sealed record User(string Login, long Id, bool SiteAdmin);

/// <summary>A label.</summary>
public sealed record Label(string Name, string Color);

/// <summary>What the records are: record n (1-based) of every endpoint.</summary>
public static class Dataset
{
    public const string UrlPrefix = "https://github.com/octo-org/api-pipeline/issues/";

    public static readonly DateTimeOffset Epoch = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public static readonly TimeSpan CreatedBeforeUpdate = TimeSpan.FromDays(3);

    public static readonly string[] Titles =
    [
        "Pagination stops early when the API repeats a cursor on a late page",
        "Offset pagination skips records when the total changes during a run",
        "Retry-After header is ignored after a 429 from the search endpoint",
        "Link header with several relations is parsed in the wrong order",
        "Memory grows while writing partitioned JSON Lines for a large backfill",
    ];

    public static readonly string[] Users = ["octocat", "hubot", "monalisa", "defunkt", "mojombo", "pjhyett"];

    public static readonly string[] Labels = ["bug", "enhancement", "documentation", "performance", "question"];

    public static readonly string[] Colors = ["d73a4a", "a2eeef", "0075ca", "fbca04", "d876e3"];

    public static readonly string[] Associations = ["CONTRIBUTOR", "MEMBER", "NONE"];

    public static readonly string[] Bodies =
    [
        "Steps to reproduce: run the extractor against a paginated endpoint with a page size of one hundred and watch the cursor. Expected: every record exactly once. Actual: the last pages are missing.",
        "When the server answers slowly the pipeline keeps every page in memory until the end of the run. Expected: memory stays flat while records stream to disk in batches.",
        "The nightly incremental run starts from the stored watermark but the first page is fetched twice after a restart, so two files hold the same records for one day.",
    ];

    public static long IdOf(long n) => 1_000_000_000L + n;

    public static long NumberOf(long n) => 10_000_000L + n;

    public static DateTimeOffset UpdatedAt(long n) => Epoch.AddSeconds(n);

    /// <summary>
    /// Record <paramref name="n"/> (1-based) of a first page, as an object: the server takes the texts from a record's position in its
    /// page and the id, number and dates from <paramref name="n"/>, so this is what its first page's record n deserializes to.
    /// </summary>
    public static Issue Record(int n)
    {
        int i = n - 1;
        var labels = new List<Label>();
        for (int l = 0; l < 1 + (i % 2); l++)
        {
            labels.Add(new Label(Labels[(i + l) % Labels.Length], Colors[(i + l) % Colors.Length]));
        }

        var updated = UpdatedAt(n);
        return new Issue(IdOf(n), (int)NumberOf(n), Titles[i % Titles.Length], i % 3 == 0 ? "closed" : "open",
            new User(Users[i % Users.Length], 5_000_000 + (i % Users.Length), i % 17 == 0), labels, i % 11,
            UrlPrefix + NumberOf(n).ToString(System.Globalization.CultureInfo.InvariantCulture), updated - CreatedBeforeUpdate, updated,
            Associations[i % Associations.Length], i % 29 == 0, Bodies[i % Bodies.Length]);
    }
}
