namespace ApiPipeline.Hosting;

/// <summary>Tells a chain file (<c>chain_id:</c>) from a pipeline file (<c>pipeline_id:</c>).</summary>
internal static class ConfigFiles
{
    /// <summary>
    /// Whether the file's top-level keys are a chain's (<c>chain_id</c>; without it or <c>pipeline_id</c>, <c>extractors</c>), however they
    /// are written. A file that is not valid YAML is taken for a pipeline file, whose loader says where it is malformed.
    /// </summary>
    public static bool IsChain(string path)
    {
        try
        {
            // chain_id, else pipeline_id, says which; without either, a chain's extractors list (a pipeline file with a typo in
            // 'extractor' is still read as a pipeline file, whose loader points at the typo).
            var doc = YamlDocument.Parse(File.ReadAllText(path), path);
            return doc.HasKey("chain_id") || (!doc.HasKey("pipeline_id") && doc.HasKey("extractors"));
        }
        catch (ConfigException)
        {
            return false;
        }
    }
}
