#!/bin/sh
echo script from git
