namespace ApiPipeline.Tests;

/// <summary>Review s20d: an absolute next link carrying user info.</summary>
public sealed class ReviewS20dLinkTests(ApiFixture fixture) : ApiTests(fixture), IClassFixture<ApiFixture>
{
    /// <summary>
    /// The fix strips user info from the base a relative next link is resolved against (a redirect's target), but an API whose next link
    /// is itself absolute and carries credentials (a mirror's basic-auth URL in its Link header) puts the password into the page's
    /// checkpoint all the same: the state store keeps it, dead-letter entries carry it.
    /// </summary>
    [Fact]
    public async Task An_absolute_next_link_with_user_info_keeps_the_password_out_of_the_checkpoint()
    {
        var input = Map("s20d-ui", ctx =>
        {
            if (ctx.Request.Query["page"].ToString() == "")
            {
                var root = new Uri(Reply.Root(ctx));
                ctx.Response.Headers["Link"] = $"<http://mirror:pw-s3cr3t-77@{root.Host}:{root.Port}/s20d-ui/items?page=2>; rel=\"next\"";
                return Reply.Json(ctx, Body.Items(1, 2));
            }

            return Reply.Json(ctx, Body.Items(3));
        });

        var pages = await new LinkHeaderItems(At).PagesAsync(input);

        Assert.Equal([1, 2, 3], pages.Ids());
        Assert.DoesNotContain("pw-s3cr3t-77", pages[0].Next!.Url, StringComparison.Ordinal);
    }
}
