namespace ApiPipeline.Hosting;

/// <summary>Tells a chain file (<c>chain_id:</c>) from a pipeline file (<c>pipeline_id:</c>).</summary>
internal static class ConfigFiles
{
    public static bool IsChain(string path)
    {
        foreach (var line in File.ReadLines(path))
        {
            var text = line.TrimStart();
            if (text.StartsWith("chain_id:", StringComparison.Ordinal) || text.StartsWith("extractors:", StringComparison.Ordinal))
            {
                return true;
            }

            if (text.StartsWith("pipeline_id:", StringComparison.Ordinal) || text.StartsWith("extractor:", StringComparison.Ordinal))
            {
                return false;
            }
        }

        return false;
    }
}
