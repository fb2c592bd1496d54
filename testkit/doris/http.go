package doris

// webState is owned by the HTTP side (Stream Load, 2PC, faults, dump, loads log).
type webState struct{}

func (s *Server) startHTTP() error { return nil }
