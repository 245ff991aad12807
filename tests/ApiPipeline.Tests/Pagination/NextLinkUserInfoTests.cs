namespace ApiPipeline.Tests;

/// <summary>Next links that carry credentials, or are relative to a redirect's target that does.</summary>
public sealed class NextLinkUserInfoTests(ApiFixture fixture) : ApiTests(fixture), IClassFixture<ApiFixture>
{
    /// <summary>
    /// A redirect whose location carries credentials in its user info (a mirror's basic-auth URL). A relative next link on the redirected
    /// page is resolved against it without the user info (RFC 3986 would keep the base's authority, user info included), so the password
    /// never reaches the page's checkpoint, which the state store keeps.
    /// </summary>
    [Fact]
    public async Task A_relative_next_link_after_a_redirect_with_user_info_keeps_the_password_out_of_the_checkpoint()
    {
        var input = Map("redirect-userinfo", ctx =>
        {
            if (ctx.Request.Path == "/redirect-userinfo/items")
            {
                var root = new Uri(Reply.Root(ctx));
                return Reply.Redirect(ctx, $"http://mirror:pw-s3cr3t-99@{root.Host}:{root.Port}/redirect-userinfo/v2/items?per_page=2");
            }

            if (ctx.Request.Query["page"].ToString() == "")
            {
                ctx.Response.Headers["Link"] = "<items?page=2>; rel=\"next\"";
                return Reply.Json(ctx, Body.Items(1, 2));
            }

            return Reply.Json(ctx, Body.Items(3));
        });

        var pages = await new LinkHeaderItems(At).PagesAsync(input);

        Assert.Equal([1, 2, 3], pages.Ids());
        Assert.DoesNotContain("pw-s3cr3t-99", pages[0].Next!.Url, StringComparison.Ordinal);
    }

    /// <summary>
    /// An API whose next link is itself absolute and carries credentials (a mirror's basic-auth URL in its Link header): the password
    /// stays out of the page's checkpoint, which the state store keeps and dead-letter entries carry.
    /// </summary>
    [Fact]
    public async Task An_absolute_next_link_with_user_info_keeps_the_password_out_of_the_checkpoint()
    {
        var input = Map("next-link-userinfo", ctx =>
        {
            if (ctx.Request.Query["page"].ToString() == "")
            {
                var root = new Uri(Reply.Root(ctx));
                ctx.Response.Headers["Link"] = $"<http://mirror:pw-s3cr3t-77@{root.Host}:{root.Port}/next-link-userinfo/items?page=2>; rel=\"next\"";
                return Reply.Json(ctx, Body.Items(1, 2));
            }

            return Reply.Json(ctx, Body.Items(3));
        });

        var pages = await new LinkHeaderItems(At).PagesAsync(input);

        Assert.Equal([1, 2, 3], pages.Ids());
        Assert.DoesNotContain("pw-s3cr3t-77", pages[0].Next!.Url, StringComparison.Ordinal);
    }
}
