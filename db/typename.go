package db

import "reflect"

func typeName(v any) string { return reflect.TypeOf(v).String() }
