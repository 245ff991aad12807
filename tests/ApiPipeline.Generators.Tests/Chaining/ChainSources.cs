namespace ApiPipeline.Generators.Tests.Chaining;

/// <summary>User code of the chain tests: the issue's GitHub-like records and two extractors, in namespace <c>Demo</c>.</summary>
internal static class ChainSources
{
    /// <summary>Records and extractors every chain test uses; a separate file, so line numbers of the file under test do not depend on it.</summary>
    public const string Model = TestSources.Usings + """
        namespace Demo;

        public sealed record Org(string Login);

        public sealed record Owner(string Login, long Id);

        public sealed record Repo(long Id, string Name, Owner Owner, string? Description, int Stars, DateTimeOffset UpdatedAt);

        public sealed record Issue(long Id, int Number, string Title);

        public sealed record IdBatch([property: Query("ids")] string Ids);

        public sealed record RepoIds(System.Collections.Generic.IReadOnlyList<long> Ids, string Org);

        public sealed record RepoNumber(string Owner, int Number);

        public sealed class NoCtorInput
        {
            private NoCtorInput()
            {
            }

            public string Owner { get; init; } = "";
        }

        [Extractor("https://api.github.com", "/orgs/{login}/repos", Json = typeof(TestJson))]
        [Paginated(Pagination.LinkHeader, PageSize = 100, PageSizeParam = "per_page")]
        public partial class OrgRepos : IExtractor<Org, Repo>;

        [Extractor("https://api.github.com", "/repos/{owner}/{repo}/issues", Json = typeof(TestJson))]
        [Paginated(Pagination.LinkHeader, PageSize = 100, PageSizeParam = "per_page")]
        public partial class GitHubIssues : IExtractor<RepoRef, Issue>;

        [Extractor("https://api.github.com", "/issues", Json = typeof(TestJson))]
        public partial class IssuesByIds : IExtractor<IdBatch, Issue>;

        [Extractor("https://api.github.com", "/repos", Json = typeof(TestJson))]
        public partial class ReposByIds : IExtractor<RepoIds, Repo>;

        [Extractor("https://api.github.com", "/repos/{owner}/issues/{number}", Json = typeof(TestJson))]
        public partial class IssueByNumber : IExtractor<RepoNumber, Issue>;

        [Extractor("https://api.github.com", "/x/{owner}", Json = typeof(TestJson))]
        public partial class NoCtorExtractor : IExtractor<NoCtorInput, Issue>;

        public sealed class Manual : IExtractor<RepoRef, Issue>
        {
            public Manual(int setting) => _ = setting;

            public string Name => "manual";

            public System.Collections.Generic.IAsyncEnumerable<Page<Issue>> ExtractPagesAsync(RepoRef input, PageCheckpoint? resumeFrom = null, System.Threading.CancellationToken cancellationToken = default)
                => throw new NotSupportedException();
        }
        """;

    /// <summary>The issue's example chain.</summary>
    public const string OrgIssues = TestSources.Usings + """
        namespace Demo;

        [Chain]
        public partial class OrgIssues
        {
            [Step(1)] public partial OrgRepos Repos { get; }

            [Step(2, Mode = ProcessingMode.Parallel, MaxConcurrency = 8)]
            [Map("Owner.Login", To = nameof(RepoRef.Owner))]
            [Map(nameof(Repo.Name), To = nameof(RepoRef.Repo))]
            public partial GitHubIssues Issues { get; }
        }
        """;

    /// <summary>
    /// Three steps: <c>OrgRepos</c> → <c>GitHubIssues</c> (<paramref name="step2"/>, mapped by <paramref name="maps2"/>) →
    /// <c>IssueByNumber</c> (<c>RepoNumber(Owner, Number)</c>, mapped by <paramref name="maps3"/>, which may read step 1 with <c>FromStep</c>).
    /// </summary>
    public static string ThreeSteps(string maps3, string maps2 = "[Map(\"Owner.Login\", To = nameof(RepoRef.Owner))] [Map(nameof(Repo.Name), To = nameof(RepoRef.Repo))]", string step2 = "[Step(2, Mode = ProcessingMode.Parallel)]", string extractor2 = "GitHubIssues") => TestSources.Usings + $$"""
        namespace Demo;

        [Chain]
        public partial class Three
        {
            [Step(1)] public partial OrgRepos Repos { get; }

            {{step2}}
            {{maps2}}
            public partial {{extractor2}} Issues { get; }

            [Step(3, Mode = ProcessingMode.Parallel)]
            {{maps3}}
            public partial IssueByNumber Third { get; }
        }
        """;

    /// <summary>A chain whose second step is one mapping away from <paramref name="maps"/>: <c>OrgRepos</c> → <c>GitHubIssues</c>.</summary>
    public static string Chain(string maps, string step = "[Step(2)]", string extractor = "GitHubIssues") => TestSources.Usings + $$"""
        namespace Demo;

        [Chain]
        public partial class Broken
        {
            [Step(1)] public partial OrgRepos Repos { get; }

            {{step}}
            {{maps}}
            public partial {{extractor}} Next { get; }
        }
        """;
}
