namespace ApiPipeline;

/// <summary>
/// The one check of what an extractor's base URL may be, wherever one is given: <see cref="ExtractorOptions.BaseUrl"/> (so the
/// generated default too), a pipeline file's <c>base_url</c>, the host's settings and the CLI's <c>--base-url</c>.
/// </summary>
internal static class BaseUrls
{
    /// <summary>What <see cref="Problem"/> says of a text that is not an absolute http(s) URL.</summary>
    public const string NotHttp = "is not an absolute http(s) URL";

    /// <summary>
    /// What <see cref="Problem"/> says of a URL with user information: .NET's HttpClient never sends it, and kept in the URL it would
    /// reach checkpoints and the state store.
    /// </summary>
    public const string WithUserInfo = "carries a user name or password (user:password@host), which is never sent; give credentials with the extractor's [Auth] instead";

    /// <summary>Why <paramref name="text"/> cannot be a base URL (<see cref="NotHttp"/>, <see cref="WithUserInfo"/>), or <see langword="null"/>.</summary>
    public static string? Problem(string text)
        => !Uri.TryCreate(text, UriKind.Absolute, out var url) || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps) ? NotHttp
            : url.UserInfo.Length > 0 ? WithUserInfo
            : null;
}
