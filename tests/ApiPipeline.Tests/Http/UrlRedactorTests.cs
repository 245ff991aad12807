namespace ApiPipeline.Tests;

public sealed class UrlRedactorTests
{
    [Theory]
    [InlineData("https://api.example.com/v1/items?api_key=s3cr3t&page=2", "https://api.example.com/v1/items?api_key=***&page=2")]
    [InlineData("https://api.example.com/x?access_token=abc.def&per_page=100", "https://api.example.com/x?access_token=***&per_page=100")]
    [InlineData("https://api.example.com/x?client_id=app&client_secret=shh", "https://api.example.com/x?client_id=app&client_secret=***")]
    [InlineData("https://api.example.com/x?user=bob&password=hunter2", "https://api.example.com/x?user=bob&password=***")]
    [InlineData("https://api.example.com/x?API_KEY=s3cr3t", "https://api.example.com/x?API_KEY=***")]
    [InlineData("https://api.example.com/x?apiKey=s3cr3t&token=t&sig=abc&code=1", "https://api.example.com/x?apiKey=***&token=***&sig=***&code=***")]
    [InlineData("https://api.example.com/x?api%5Fkey=s3cr3t", "https://api.example.com/x?api_key=***")]
    [InlineData("https://api.example.com/x?my%20token=s3cr3t&a=1", "https://api.example.com/x?my%20token=***&a=1")]
    [InlineData("https://api.example.com/x?cursor=abc&state=all&since=2024-01-01", "https://api.example.com/x?cursor=abc&state=all&since=2024-01-01")]
    [InlineData("https://api.example.com/x", "https://api.example.com/x")]
    public void Replaces_secret_values_and_keeps_other_parameters(string url, string expected)
        => Assert.Equal(expected, UrlRedactor.Redact(url));

    [Fact]
    public void Drops_user_info()
    {
        string shown = UrlRedactor.Redact(new Uri("https://robot:hunter2@api.example.com:8443/x?page=1"));

        Assert.Equal("https://api.example.com:8443/x?page=1", shown);
    }

    [Theory]
    [InlineData("robot:hunter2@api.example.com:8443/x?page=1", "api.example.com:8443/x?page=1")]
    [InlineData("robot:hunter2@127.0.0.1:5055", "127.0.0.1:5055")]
    [InlineData("items?email=a@b.example&page=2", "items?email=a@b.example&page=2")]
    [InlineData("/items/a@b?page=2", "/items/a@b?page=2")]
    public void Drops_user_info_given_without_a_scheme_and_nothing_else(string url, string expected)
        => Assert.Equal(expected, UrlRedactor.Redact(url));

    [Fact]
    public void Drops_the_fragment()
        => Assert.Equal("https://api.example.com/x?token=***", UrlRedactor.Redact("https://api.example.com/x?token=t#access_token=t"));

    [Fact]
    public void Redacts_a_root_relative_url()
        => Assert.Equal("/items?api_key=***&page=2", UrlRedactor.Redact("/items?api_key=s3cr3t&page=2"));

    [Fact]
    public void Redacts_a_path_relative_url()
        => Assert.Equal("items?api_key=***&page=2", UrlRedactor.Redact("items?api_key=s3cr3t&page=2"));

    [Fact]
    public void Redacts_the_query_of_a_url_with_another_scheme()
    {
        string shown = UrlRedactor.Redact("ftp://robot:hunter2@files.example.com/export?api_key=s3cr3t");

        Assert.DoesNotContain("s3cr3t", shown, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", shown, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("api_key", true)]
    [InlineData("X-Api-Key", true)]
    [InlineData("access_token", true)]
    [InlineData("client_secret", true)]
    [InlineData("password", true)]
    [InlineData("Authorization", true)]
    [InlineData("session_id", true)]
    [InlineData("sid", true)]
    [InlineData("auth_code", true)]
    [InlineData("X-Amz-Credential", true)]
    [InlineData("page", false)]
    [InlineData("cursor", false)]
    [InlineData("per_page", false)]
    [InlineData("keyword", false)]
    public void Knows_which_names_carry_secrets(string name, bool sensitive)
        => Assert.Equal(sensitive, UrlRedactor.IsSensitive(name));
}
