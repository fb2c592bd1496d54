package config

import (
	"log/slog"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Redacted returns the effective settings as a YAML config file (the --config
// shape) with every credential replaced by ******, for --dry-run and logs.
func (j *Job) Redacted() string {
	root := &yaml.Node{Kind: yaml.MappingNode}
	add := func(key string, value *yaml.Node) {
		root.Content = append(root.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: key}, value)
	}
	scalar := func(v, tag string) *yaml.Node {
		return &yaml.Node{Kind: yaml.ScalarNode, Value: v, Tag: tag}
	}
	mapping := func(m *Map, kind Kind) *yaml.Node {
		n := &yaml.Node{Kind: yaml.MappingNode}
		if kind != "" {
			n.Content = append(n.Content, scalar("kind", "!!str"), scalar(string(kind), "!!str"))
		}
		for _, e := range m.safeEntries() {
			n.Content = append(n.Content, scalar(e.key, "!!str"), scalar(e.value, "!!str"))
		}
		return n
	}
	for _, s := range settings {
		v := j.Get(s.Name)
		switch s.Type {
		case "bool":
			add(s.Name, scalar(v, "!!bool"))
		case "int":
			add(s.Name, scalar(v, "!!int"))
		default:
			add(s.Name, scalar(v, "!!str"))
		}
	}
	add("source", mapping(j.Source, j.Kind))
	add("sink", mapping(j.Sink, ""))
	add("table", mapping(j.Table, ""))
	var b strings.Builder
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(root); err != nil {
		// Encoding plain string scalars cannot fail; keep the output usable anyway.
		return "# cannot print the settings: " + err.Error() + "\n"
	}
	_ = enc.Close()
	return b.String()
}

// LogValue logs the job's settings with credentials hidden.
func (j *Job) LogValue() slog.Value {
	attrs := []slog.Attr{slog.String("kind", string(j.Kind))}
	for _, s := range settings {
		attrs = append(attrs, slog.String(s.Name, j.Get(s.Name)))
	}
	attrs = append(attrs,
		slog.Any("source", j.Source),
		slog.Any("sink", j.Sink),
		slog.Any("table", j.Table),
	)
	return slog.GroupValue(attrs...)
}
