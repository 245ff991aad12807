namespace ApiPipeline.Tests.Resilience;

/// <summary>
/// The resume URL a dead-letter entry keeps (DeadLetterWriter.Entry): before SecretQuery.Redact it went through UrlRedactor.Redact,
/// which also dropped user information and the fragment of a checkpoint a hand-written extractor gives in its ExtractionException.
/// </summary>
public sealed class ReviewR4DeadLetterResumeTests
{
    [Fact]
    public void A_hand_written_checkpoints_user_information_is_not_written_to_the_dead_letter_file()
    {
        var error = new ExtractionException(ExtractionErrorKind.HttpStatus, "legacy", 2, "https://api.example.invalid/items?page=2", "503")
        {
            Resume = new PageCheckpoint("https://alice:hunter2@api.example.invalid/items?page=2", 2, 10),
        };

        var entry = DeadLetterWriter.Entry("legacy", error, pageSkipped: true, TimeProvider.System);

        Assert.DoesNotContain("hunter2", entry.Resume!.Url, StringComparison.Ordinal);
    }

    [Fact]
    public void A_hand_written_checkpoints_fragment_token_is_not_written_to_the_dead_letter_file()
    {
        var error = new ExtractionException(ExtractionErrorKind.HttpStatus, "legacy", 2, "https://api.example.invalid/items?page=2", "503")
        {
            Resume = new PageCheckpoint("https://api.example.invalid/items?page=2#access_token=hunter2", 2, 10),
        };

        var entry = DeadLetterWriter.Entry("legacy", error, pageSkipped: true, TimeProvider.System);

        Assert.DoesNotContain("hunter2", entry.Resume!.Url, StringComparison.Ordinal);
    }
}
