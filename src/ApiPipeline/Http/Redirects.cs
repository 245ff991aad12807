using System.Net;

namespace ApiPipeline;

/// <summary>Which answers are redirects, for the page requests that follow them and the token requests that refuse to.</summary>
internal static class Redirects
{
    /// <summary>Whether <paramref name="status"/> is a redirect with a <c>Location</c> to follow: 301, 302, 303, 307 or 308.</summary>
    public static bool Is(HttpStatusCode status) => status is HttpStatusCode.MovedPermanently or HttpStatusCode.Found
        or HttpStatusCode.SeeOther or HttpStatusCode.TemporaryRedirect or HttpStatusCode.PermanentRedirect;
}
